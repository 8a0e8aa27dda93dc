import { LUA_PROTOCOL } from '@revocast/verifier-sdk/protocol';
import { LUA_INVALID_ID, LUA_VALID_ID } from './lua-id-rule.js';

/**
 * Lua scripts for Redis as a projection of the PostgreSQL record. Offsets
 * come from the record; Redis only checks that each one follows the last,
 * so any number of replicas may publish the same changes: each offset is
 * applied once, in order. Meta field names, member prefixes, the message
 * framing and the stream entry come from the protocol's Lua fragments.
 */

const { meta: META, members: MEMBERS, message: MESSAGE } = LUA_PROTOCOL;

/**
 * What a writer that bypasses the record changes, and the record's own
 * writes never do: the epoch (it starts one on an empty Redis) and the
 * number of full records (the Redis-only store keeps one per revocation in
 * the details hash; the projection keeps none). The record's publishes go on
 * during a re-seed and must not make it fail, so the offset is not part of it.
 */
const STAMP = `local function stamp(meta, details)
  return (redis.call('HGET', meta, META_EPOCH) or '') .. ':' .. redis.call('HLEN', details)
end`;

/**
 * The script that applies the record's changes. With `oneMessage`, the
 * changes one call applies travel as one message (a batch message for two
 * or more, with the batch stream ids); without, each as its own message.
 * A single change is written and published the same either way.
 *
 * KEYS: meta, entries, cutoffs, log
 * ARGV: epoch, stream MINID, channel, publish command (PUBLISH or SPUBLISH),
 *       then five per change: offset, member, pruneAt ('' to remove), cutoff ('' unless a subject), change JSON
 * Returns {status, offset, applied}: status 'ok' when every change is in
 * (applied now or already), 'gap' when a change does not follow the offset
 * Redis holds, 'epoch' when Redis carries another epoch, 'empty' when it has
 * none. Nothing is written unless the epoch matches.
 */
function applyScript(oneMessage: boolean): string {
  const append = oneMessage
    ? `batch = batch or new_batch(log, min_id, epoch)
    last_id = batch.append(ARGV[i], change)`
    : `last_id = append_change(log, min_id, '*', epoch, ARGV[i], change)
    redis.call(command, channel, frame_message(epoch, ARGV[i], last_id, change))`;
  return `
${META}
${MEMBERS}
${MESSAGE}
${LUA_VALID_ID}
local meta, entries, cutoffs, log = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local epoch, min_id, channel, command = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- The record refuses invalid ids already; a projection must not publish one either, nor a member no verifier can read.
for i = 5, #ARGV, 5 do
  local kind, id = parse_member(ARGV[i + 1])
  if not kind or not valid_id(id) then return redis.error_reply('${LUA_INVALID_ID} id') end
end
local state = redis.call('HMGET', meta, META_EPOCH, META_OFFSET)
if not state[1] then return {'empty', '0', '0'} end
if state[1] ~= epoch then return {'epoch', state[2] or '0', '0'} end
local current = tonumber(state[2] or '0')
local applied, last_id, status, batch = 0, false, 'ok', nil
for i = 5, #ARGV, 5 do
  local offset = tonumber(ARGV[i])
  if offset > current then
    if offset ~= current + 1 then status = 'gap' break end
    local member, prune_at, cutoff, change = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local kind, id = parse_member(member)
    local subject = kind == 'subject' and id
    if prune_at == '' then
      redis.call('ZREM', entries, member)
      if subject then redis.call('HDEL', cutoffs, subject) end
    else
      redis.call('ZADD', entries, prune_at, member)
      if subject then redis.call('HSET', cutoffs, subject, cutoff) end
    end
    ${append}
    current = offset
    applied = applied + 1
  end
end
if batch then redis.call(command, channel, batch.message()) end
if applied > 0 then redis.call('HSET', meta, META_OFFSET, offset_text(current), META_LAST_ID, last_id) end
return {status, offset_text(current), tostring(applied)}
`;
}

/** Applies the record's changes, each published as its own message (see applyScript). */
export const APPLY = applyScript(false);

/** Applies the record's changes, the ones each call applies published as one message (see applyScript). */
export const APPLY_AS_ONE_MESSAGE = applyScript(true);

/**
 * Puts a re-seeded list in place at once: the staged entries become the
 * list, the stream starts empty, the meta hash names the new epoch at the
 * record's offset, marked durable (offsets never go backwards, and writers
 * that bypass the record refuse from now on). Verifiers see the new epoch
 * and reload.
 *
 * The staged keys were written by earlier commands; a failover in between
 * can leave this node with part of them. Swapping in a partial list would
 * let verifiers accept what it misses, so the counts must match exactly or
 * nothing changes (returns -1) and the re-seed is tried again.
 *
 * What Redis held was adopted into the record first, as of the stamp read
 * then. A revocation a writer that bypasses the record added since would be
 * dropped by the swap, so the stamp must be unchanged or nothing changes
 * (returns -2).
 * KEYS: meta, entries, cutoffs, log, staged entries, staged cutoffs, details, by-sub
 * ARGV: epoch, offset, entries staged, subject cutoffs staged, stamp read before adopting
 */
export const SWAP_IN = `
${META}
local meta, entries, cutoffs, log, staged_entries, staged_cutoffs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
if redis.call('ZCARD', staged_entries) ~= tonumber(ARGV[3]) or redis.call('HLEN', staged_cutoffs) ~= tonumber(ARGV[4]) then
  return -1
end
${STAMP}
if stamp(meta, KEYS[7]) ~= ARGV[5] then return -2 end
redis.call('DEL', entries, cutoffs, log, KEYS[7], KEYS[8], meta)
if redis.call('EXISTS', staged_entries) == 1 then redis.call('RENAME', staged_entries, entries) end
if redis.call('EXISTS', staged_cutoffs) == 1 then redis.call('RENAME', staged_cutoffs, cutoffs) end
redis.call('HSET', meta, META_EPOCH, ARGV[1], META_OFFSET, ARGV[2], META_LAST_ID, '0-0', META_DURABLE, DURABLE_MARK)
return redis.call('ZCARD', entries)
`;

/**
 * Everything the reconciliation compares, read at one instant.
 * KEYS: meta, entries, cutoffs, details. Returns {epoch or false, offset, entries (flat), cutoffs (flat), stamp}.
 */
export const READ_ALL = `
${META}
${STAMP}
local state = redis.call('HMGET', KEYS[1], META_EPOCH, META_OFFSET)
return {state[1], state[2] or '0', redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[3]), stamp(KEYS[1], KEYS[4])}
`;
