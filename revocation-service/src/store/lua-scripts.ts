import { META } from '@revocast/verifier-sdk/protocol';
import { LUA_INVALID_ID, LUA_VALID_ID } from './lua-id-rule.js';

/**
 * The Lua scripts that change the revocation list in Redis. Each runs
 * atomically, so the entry, the offset, the stream and the publish can never
 * disagree. Every key is passed in KEYS and shares one hash tag. Every
 * writer refuses, before writing anything, an id the protocol's id rule
 * rejects (see lua-id-rule.ts).
 */

/** Answers the script with an error naming the field (a Lua expression), so nothing after it runs. */
const REFUSE = (field: string) => `return redis.error_reply('${LUA_INVALID_ID} ' .. ${field})`;

/** The request field each type's id arrives in, for the refusal. */
const CLAIMS = `local claims = { token = 'jti', subject = 'sub', session = 'sid' }`;

/** The error a Redis-only script answers with on a Redis that belongs to a PostgreSQL record. */
export const RECORD_OWNED_REPLY = 'REVOCAST_RECORD_OWNED';

/**
 * Refuses the change, writing nothing, when a PostgreSQL record owns this
 * Redis (the meta hash carries its mark, see META.durable). Checked inside
 * each script, so no write slips in between the check and the change.
 */
const RECORD_GUARD = `if redis.call('HGET', KEYS[1], '${META.durable}') == '1' then
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
 * the message on the shard that owns the channel's hash tag.
 */
const PUBLISH = `local function publish(meta, log, channel, epoch, change, min_id, command)
  local offset = string.format('%.0f', redis.call('HINCRBY', meta, 'offset', 1))
  local stream_id = redis.call('XADD', log, 'MINID', '~', min_id, '*', 'e', epoch, 'o', offset, 'c', change)
  redis.call('HSET', meta, 'last_id', stream_id)
  redis.call(command, channel, epoch .. ':' .. offset .. ':' .. stream_id .. ':' .. change)
  return offset
end`;

const EPOCH = `local function current_epoch(meta, candidate)
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    epoch = candidate
    redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
  end
  return epoch
end`;

/**
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: member, type, id, rank, pruneAt, cutoff, record JSON (without offset),
 *       change JSON, epoch candidate, stream MINID, channel, sub ('' for none),
 *       publish command
 * Returns {1, stored record} when written, {0, existing record} when the same
 * or a wider revocation was already in force; an error reply starting with
 * RECORD_OWNED_REPLY, having written nothing, when a PostgreSQL record owns
 * this Redis (so do REVOKE_BATCH and REINSTATE).
 */
export const REVOKE = `${SUB_INDEX_MEMBER}
${RECORD_SUB}
${PUBLISH}
${EPOCH}
${LUA_VALID_ID}
${CLAIMS}
${RECORD_GUARD}
local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local member, kind, id, rank, prune_at, cutoff, record, change, epoch_candidate, min_id, channel, sub, command =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
if not valid_id(id) then ${REFUSE("(claims[kind] or 'id')")} end
if sub ~= '' and not valid_id(sub) then ${REFUSE("'sub'")} end

local previous_score = redis.call('ZSCORE', entries, member)
if previous_score then
  local previous_rank = tonumber(previous_score)
  if kind == 'subject' then previous_rank = tonumber(redis.call('HGET', cutoffs, id)) end
  local previous = redis.call('HGET', details, member)
  if previous_rank and previous_rank >= rank then return {0, previous or ''} end
  local previous_sub = record_sub(previous)
  if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
else
  redis.call('HINCRBY', meta, 'live:' .. kind, 1)
end

local epoch = current_epoch(meta, epoch_candidate)
local offset = publish(meta, log, channel, epoch, change, min_id, command)
local stored = '{"offset":' .. offset .. ',' .. string.sub(record, 2)
redis.call('ZADD', entries, prune_at, member)
redis.call('HSET', details, member, stored)
if kind == 'subject' then redis.call('HSET', cutoffs, id, cutoff) end
if sub ~= '' then redis.call('ZADD', bysub, 0, sub_member(sub, member)) end
return {1, stored}
`;

/** ARGV values per item of {@link REVOKE_BATCH}. */
export const BATCH_ITEM_FIELDS = 9;

/**
 * Many revocations in one atomic script, each with REVOKE's rules (a repeat
 * that is not wider changes nothing). The changed items get consecutive
 * offsets and stream ids `<ms>-<seq>`, `<ms>-<seq+1>`, ... after the first,
 * which XADD picks; one PUBLISH carries them all (see encodeBatchMessage).
 * Inputs are validated by the service, so nothing can fail halfway.
 *
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: epoch candidate, stream MINID, channel, item count, publish command (PUBLISH or SPUBLISH), then per item:
 *       member, type, id, rank, pruneAt, cutoff, record JSON (without offset), change JSON, sub ('' for none)
 * Returns {first offset ('' when nothing changed), changed?, record, changed?, record, ...}.
 */
export const REVOKE_BATCH = `${SUB_INDEX_MEMBER}
${RECORD_SUB}
${EPOCH}
${LUA_VALID_ID}
${CLAIMS}
${RECORD_GUARD}
local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local epoch_candidate, min_id, channel, count, command = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
-- All or nothing: every id is checked before anything is written.
for i = 0, count - 1 do
  local base = 5 + i * ${BATCH_ITEM_FIELDS}
  if not valid_id(ARGV[base + 3]) then ${REFUSE("'items.' .. i .. '.' .. (claims[ARGV[base + 2]] or 'id')")} end
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
    local previous_rank = tonumber(previous_score)
    if kind == 'subject' then previous_rank = tonumber(redis.call('HGET', cutoffs, id)) end
    local previous = redis.call('HGET', details, member)
    if previous_rank and previous_rank >= rank then
      in_force = true
      reply[#reply + 1] = 0
      reply[#reply + 1] = previous or ''
    else
      local previous_sub = record_sub(previous)
      if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
    end
  else
    redis.call('HINCRBY', meta, 'live:' .. kind, 1)
  end
  if not in_force then
    if not epoch then epoch = current_epoch(meta, epoch_candidate) end
    local offset = string.format('%.0f', redis.call('HINCRBY', meta, 'offset', 1))
    if not first_offset then
      last_id = redis.call('XADD', log, 'MINID', '~', min_id, '*', 'e', epoch, 'o', offset, 'c', change)
      first_offset, first_id = offset, last_id
      local ms_text, seq_text = string.match(last_id, '^(%d+)-(%d+)$')
      ms, seq = ms_text, tonumber(seq_text)
    else
      seq = seq + 1
      last_id = redis.call('XADD', log, ms .. '-' .. string.format('%.0f', seq), 'e', epoch, 'o', offset, 'c', change)
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
  redis.call('HSET', meta, 'last_id', last_id)
  local body = changes[1]
  if #changes > 1 then body = '[' .. table.concat(changes, ',') .. ']' end
  redis.call(command, channel, epoch .. ':' .. first_offset .. ':' .. first_id .. ':' .. body)
  reply[1] = first_offset
end
return reply
`;

/**
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: member, type, id, change JSON, epoch candidate, stream MINID, channel, publish command
 * Returns {1, removed record, offset} or {0} when nothing was revoked.
 */
export const REINSTATE = `${SUB_INDEX_MEMBER}
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
redis.call('HINCRBY', meta, 'live:' .. kind, -1)
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
export const PRUNE = `${SUB_INDEX_MEMBER}
${RECORD_SUB}
local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local kinds = { jti = 'token', sid = 'session', sub = 'subject' }
local members = redis.call('ZRANGE', entries, '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(members) do
  local previous_sub = record_sub(redis.call('HGET', details, member))
  if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
  redis.call('HDEL', details, member)
  redis.call('ZREM', entries, member)
  local prefix = string.sub(member, 1, 3)
  if prefix == 'sub' then redis.call('HDEL', cutoffs, string.sub(member, 5)) end
  local live = 'live:' .. (kinds[prefix] or 'unknown')
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
export const ENSURE_HISTORY = `${EPOCH}
return current_epoch(KEYS[1], ARGV[1])
`;
