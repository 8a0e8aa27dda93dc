import { LUA_PROTOCOL } from '@revocast/verifier-sdk/protocol';
import { LUA_INVALID_ID, LUA_VALID_ID } from './lua-id-rule.js';

/**
 * The Lua scripts that change the revocation list in Redis. Each runs
 * atomically, so the entry, the offset, the stream and the publish can never
 * disagree. Every key is passed in KEYS and shares one hash tag. Every
 * writer refuses, before writing anything, an id the protocol's id rule
 * rejects (see lua-id-rule.ts). Meta field names, member prefixes, the
 * message framing, the stream entry and the widening rule come from the
 * protocol's Lua fragments (`LUA_PROTOCOL`), generated from the constants
 * the decoders read.
 */

const { meta: META, members: MEMBERS, message: MESSAGE, widening: WIDENING } = LUA_PROTOCOL;

/** Answers the script with an error naming the field (a Lua expression), so nothing after it runs. */
const REFUSE = (field: string) => `return redis.error_reply('${LUA_INVALID_ID} ' .. ${field})`;

/** The error a Redis-only script answers with on a Redis that belongs to a PostgreSQL record. */
export const RECORD_OWNED_REPLY = 'REVOCAST_RECORD_OWNED';

/**
 * Refuses the change, writing nothing, when a PostgreSQL record owns this
 * Redis (the meta hash carries its mark, see META.durable). Checked inside
 * each script, so no write slips in between the check and the change.
 * Follows the meta fragment.
 */
const RECORD_GUARD = `if redis.call('HGET', KEYS[1], META_DURABLE) == DURABLE_MARK then
  return redis.error_reply('${RECORD_OWNED_REPLY} this Redis belongs to a PostgreSQL record')
end`;

/** Sub index members: `<sub>\0<member>`, ordered lexically. */
const SUB_INDEX_MEMBER = `local function sub_member(sub, member) return sub .. '\\0' .. member end`;

/** Reads the `sub` of a stored record, if it has one. */
const RECORD_SUB = `local function record_sub(json)
  if not json then return nil end
  local ok, record = pcall(cjson.decode, json)
  if ok and type(record) == 'table' and type(record.sub) == 'string' then return record.sub end
  return nil
end`;

/**
 * Appends the change to the stream and publishes it; returns the offset text.
 * `command` is PUBLISH, or SPUBLISH on a cluster, where sharded pub/sub keeps
 * the message on the shard that owns the channel's hash tag. Follows the
 * meta and message fragments.
 */
const PUBLISH = `local function publish(meta, log, channel, epoch, change, min_id, command)
  local offset = offset_text(redis.call('HINCRBY', meta, META_OFFSET, 1))
  local stream_id = append_change(log, min_id, '*', epoch, offset, change)
  redis.call('HSET', meta, META_LAST_ID, stream_id)
  redis.call(command, channel, frame_message(epoch, offset, stream_id, change))
  return offset
end`;

/** The epoch in force; starts a history (offset 0) under `candidate` when there is none. Follows the meta fragment. */
const EPOCH = `local function current_epoch(meta, candidate)
  local epoch = redis.call('HGET', meta, META_EPOCH)
  if not epoch then
    epoch = candidate
    redis.call('HSET', meta, META_EPOCH, epoch, META_OFFSET, 0)
  end
  return epoch
end`;

/** ARGV values per item of {@link REVOKE_BATCH}. */
export const BATCH_ITEM_FIELDS = 9;

/**
 * Every revocation, one or many, in one atomic script: a single revocation
 * is a batch of one, so both take one code path. A repeat changes nothing
 * unless it widens the revocation in force (the protocol's widening rule:
 * a later prune time, or for a subject a later cutoff). The changed items
 * get consecutive offsets and stream ids `<ms>-<seq>`, `<ms>-<seq+1>`, ...
 * after the first, which XADD picks; one PUBLISH carries them all, as a
 * single message for one change and a batch message for more (see
 * `encodeMessages`). Inputs are validated by the service, so nothing can
 * fail halfway.
 *
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: epoch candidate, stream MINID, channel, item count, publish command (PUBLISH or SPUBLISH), then per item:
 *       member, type, id, rank, pruneAt, cutoff, record JSON (without offset), change JSON, sub ('' for none)
 * Returns {first offset ('' when nothing changed), changed?, record, changed?, record, ...}: 1 and the
 * stored record for an item written, 0 and the record in force for one the same or a wider revocation
 * already covered. An error reply starting with RECORD_OWNED_REPLY, having written nothing, when a
 * PostgreSQL record owns this Redis (so does REINSTATE).
 */
export const REVOKE_BATCH = `${META}
${MEMBERS}
${MESSAGE}
${WIDENING}
${SUB_INDEX_MEMBER}
${RECORD_SUB}
${EPOCH}
${LUA_VALID_ID}
${RECORD_GUARD}
local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local epoch_candidate, min_id, channel, count, command = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
-- All or nothing: every id is checked before anything is written (a refusal names the request field, the claim).
for i = 0, count - 1 do
  local base = 5 + i * ${BATCH_ITEM_FIELDS}
  if not valid_id(ARGV[base + 3]) then ${REFUSE("'items.' .. i .. '.' .. (CLAIM_OF_TYPE[ARGV[base + 2]] or 'id')")} end
  if ARGV[base + 9] ~= '' and not valid_id(ARGV[base + 9]) then ${REFUSE("'items.' .. i .. '.sub'")} end
end
local reply = {''}
local changes = {}
local epoch, first_offset, first_id, last_id, ms, seq

for i = 0, count - 1 do
  local base = 5 + i * ${BATCH_ITEM_FIELDS}
  local member, kind, id, rank, prune_at, cutoff, record, change, sub =
    ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], tonumber(ARGV[base + 4]), ARGV[base + 5], ARGV[base + 6], ARGV[base + 7], ARGV[base + 8], ARGV[base + 9]
  local in_force = false
  local previous_score = redis.call('ZSCORE', entries, member)
  if previous_score then
    -- What the held entry reaches (reachOf): its cutoff for a subject, its prune time otherwise.
    local held = tonumber(previous_score)
    if kind == 'subject' then held = tonumber(redis.call('HGET', cutoffs, id)) end
    local previous = redis.call('HGET', details, member)
    if not widens(held, rank) then
      in_force = true
      reply[#reply + 1] = 0
      reply[#reply + 1] = previous or ''
    else
      local previous_sub = record_sub(previous)
      if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
    end
  else
    redis.call('HINCRBY', meta, live_count_field(kind), 1)
  end
  if not in_force then
    if not epoch then epoch = current_epoch(meta, epoch_candidate) end
    local offset = offset_text(redis.call('HINCRBY', meta, META_OFFSET, 1))
    if not first_offset then
      last_id = append_change(log, min_id, '*', epoch, offset, change)
      first_offset, first_id = offset, last_id
      local ms_text, seq_text = string.match(last_id, '^(%d+)-(%d+)$')
      ms, seq = ms_text, tonumber(seq_text)
    else
      seq = seq + 1
      last_id = append_change(log, false, ms .. '-' .. offset_text(seq), epoch, offset, change)
    end
    changes[#changes + 1] = change
    local stored = '{"offset":' .. offset .. ',' .. string.sub(record, 2)
    redis.call('ZADD', entries, prune_at, member)
    redis.call('HSET', details, member, stored)
    if kind == 'subject' then redis.call('HSET', cutoffs, id, cutoff) end
    if sub ~= '' then redis.call('ZADD', bysub, 0, sub_member(sub, member)) end
    reply[#reply + 1] = 1
    reply[#reply + 1] = stored
  end
end

if first_offset then
  redis.call('HSET', meta, META_LAST_ID, last_id)
  redis.call(command, channel, frame_message(epoch, first_offset, first_id, message_body(changes)))
  reply[1] = first_offset
end
return reply
`;

/**
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: member, type, id, change JSON, epoch candidate, stream MINID, channel, publish command
 * Returns {1, removed record, offset} or {0} when nothing was revoked.
 */
export const REINSTATE = `${META}
${MESSAGE}
${SUB_INDEX_MEMBER}
${RECORD_SUB}
${PUBLISH}
${EPOCH}
${LUA_VALID_ID}
${RECORD_GUARD}
local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local member, kind, id, change, epoch_candidate, min_id, channel, command =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if not valid_id(id) then ${REFUSE("'id'")} end

if redis.call('ZREM', entries, member) == 0 then return {0} end
local previous = redis.call('HGET', details, member)
local previous_sub = record_sub(previous)
if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
redis.call('HDEL', details, member)
if kind == 'subject' then redis.call('HDEL', cutoffs, id) end
redis.call('HINCRBY', meta, live_count_field(kind), -1)
local epoch = current_epoch(meta, epoch_candidate)
local offset = publish(meta, log, channel, epoch, change, min_id, command)
return {1, previous or '', offset}
`;

/**
 * Drops revocations whose prune time is past. Not a change: verifiers prune
 * on their own clocks, so nothing is published.
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: max prune time (ms), batch size, stream MINID
 */
export const PRUNE = `${META}
${MEMBERS}
${SUB_INDEX_MEMBER}
${RECORD_SUB}
local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local members = redis.call('ZRANGE', entries, '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(members) do
  local previous_sub = record_sub(redis.call('HGET', details, member))
  if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
  redis.call('HDEL', details, member)
  redis.call('ZREM', entries, member)
  local kind, id = parse_member(member)
  if kind == 'subject' then redis.call('HDEL', cutoffs, id) end
  local live = live_count_field(kind or 'unknown')
  if redis.call('HEXISTS', meta, live) == 1 then redis.call('HINCRBY', meta, live, -1) end
end
redis.call('XTRIM', log, 'MINID', '~', ARGV[3])
return #members
`;

/**
 * Starts an empty history when Redis holds none (it restarted without its
 * data, or was flushed), so verifiers that kept their list see a new epoch
 * and reload instead of waiting for the next change.
 * KEYS: meta. ARGV: epoch candidate. Returns the epoch in force.
 */
export const ENSURE_HISTORY = `${META}
${EPOCH}
return current_epoch(KEYS[1], ARGV[1])
`;
