import { CLAIM_OF_TYPE, MEMBER_SEPARATOR, REVOCATION_TYPES } from './entry.js';
import { DURABLE_MARK, LOG_FIELDS, META } from './keys.js';
import { MESSAGE_SEPARATOR } from './message.js';

/** A Lua string literal of a protocol constant (printable ASCII, as every one is). */
function lua(text: string): string {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new TypeError(`protocol constant ${JSON.stringify(text)} is not printable ASCII`);
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

const claims = REVOCATION_TYPES.map((type) => `[${lua(type)}] = ${lua(CLAIM_OF_TYPE[type])}`).join(', ');
const types = REVOCATION_TYPES.map((type) => `[${lua(CLAIM_OF_TYPE[type])}] = ${lua(type)}`).join(', ');
const [E, O, C, SEP] = [lua(LOG_FIELDS.epoch), lua(LOG_FIELDS.offset), lua(LOG_FIELDS.change), lua(MESSAGE_SEPARATOR)];

/**
 * The wire protocol for the writers that run inside Redis, generated from
 * the same constants as the TypeScript encoders: a Lua script frames a
 * message, files a stream entry, names a meta field or reads a member
 * exactly as `encodeMessage`, `encodeLogEntry`, {@link META} and
 * `parseMember` do, and no script spells any of them itself. Each fragment
 * defines Lua locals; a script starts with the fragments it uses.
 *
 * `test/revocation-service/store/wire-contract.test.ts` runs every writer on
 * a real Redis and decodes what it published and appended with the
 * TypeScript decoders, and feeds these functions the protocol's vectors.
 */
export const LUA_PROTOCOL = {
  /**
   * `META_EPOCH`, `META_OFFSET`, `META_LAST_ID`, `META_DURABLE` (field names
   * of the meta hash), `DURABLE_MARK`, and `live_count_field(kind)`.
   */
  meta: `local META_EPOCH, META_OFFSET, META_LAST_ID, META_DURABLE = ${lua(META.epoch)}, ${lua(META.offset)}, ${lua(META.lastId)}, ${lua(META.durable)}
local DURABLE_MARK = ${lua(DURABLE_MARK)}
local function live_count_field(kind) return ${lua(META.liveCountPrefix)} .. kind end`,

  /**
   * `CLAIM_OF_TYPE` (type -> claim, also the member prefix) and
   * `parse_member(member)`: the type and id a member names, nil for
   * anything else, as `parseMember`.
   */
  members: `local CLAIM_OF_TYPE = { ${claims} }
local TYPE_OF_CLAIM = { ${types} }
local function parse_member(member)
  local separator = string.find(member, ${lua(MEMBER_SEPARATOR)}, 1, true)
  if not separator then return nil end
  local kind = TYPE_OF_CLAIM[string.sub(member, 1, separator - 1)]
  local id = string.sub(member, separator + ${MEMBER_SEPARATOR.length})
  if not kind or id == '' then return nil end
  return kind, id
end`,

  /**
   * `offset_text(n)` (an offset as the decimal digits the decoders read,
   * never an exponent), `frame_message(epoch, offset, stream_id, body)` as
   * `encodeMessage`, `message_body(changes)` (one change, or a JSON array of
   * several, as `encodeMessages`), and `append_change(log, min_id, id,
   * epoch, offset, change)`: XADD of the fields `encodeLogEntry` lists, at
   * `id` (`'*'` for the next id), trimming entries below `min_id` unless it
   * is false. Returns the entry's id.
   *
   * `new_batch(log, min_id, epoch)`: consecutive changes that travel as one
   * message. `batch.append(offset, change)` files the next one: the first at
   * the next stream id (trimming below `min_id`), change i at `<ms>-<seq +
   * i>` after it, where `decodeMessages` places it; it returns the entry's
   * id, also kept as `batch.last_id`. `batch.message()` frames them all, a
   * single message for one change, as `encodeMessages`.
   */
  message: `local function offset_text(n) return string.format('%.0f', n) end
local function frame_message(epoch, offset, stream_id, body)
  return epoch .. ${SEP} .. offset .. ${SEP} .. stream_id .. ${SEP} .. body
end
local function message_body(changes)
  if #changes == 1 then return changes[1] end
  return '[' .. table.concat(changes, ',') .. ']'
end
local function append_change(log, min_id, id, epoch, offset, change)
  if min_id then return redis.call('XADD', log, 'MINID', '~', min_id, id, ${E}, epoch, ${O}, offset, ${C}, change) end
  return redis.call('XADD', log, id, ${E}, epoch, ${O}, offset, ${C}, change)
end
local function new_batch(log, min_id, epoch)
  local batch = { changes = {} }
  function batch.append(offset, change)
    local count = #batch.changes
    if count == 0 then
      batch.last_id = append_change(log, min_id, '*', epoch, offset, change)
      local ms, seq = string.match(batch.last_id, '^(%d+)-(%d+)$')
      batch.first_offset, batch.first_id, batch.ms, batch.seq = offset, batch.last_id, ms, tonumber(seq)
    else
      batch.last_id = append_change(log, false, batch.ms .. '-' .. offset_text(batch.seq + count), epoch, offset, change)
    end
    batch.changes[count + 1] = change
    return batch.last_id
  end
  function batch.message() return frame_message(epoch, batch.first_offset, batch.first_id, message_body(batch.changes)) end
  return batch
end`,

  /**
   * `widens(held, reach)`: the widening rule, as `widens`. `held` is nil
   * (or false) when nothing is held or its reach cannot be read.
   */
  widening: `local function widens(held, reach) return (not held) or reach > held end`,
} as const;
