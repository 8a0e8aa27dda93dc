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

/** The epoch in force; starts a history (offset 0) under `candidate` when there is none. Follows the meta fragment. */
const EPOCH = `local function current_epoch(meta, candidate)
  local epoch = redis.call('HGET', meta, META_EPOCH)
  if not epoch then
    epoch = candidate
    redis.call('HSET', meta, META_EPOCH, epoch, META_OFFSET, 0)
  end
  return epoch
end`;

/** The keys every writer script takes, in this order, as locals the fragments below read. */
const WRITER_KEYS = `local meta, entries, cutoffs, details, log, bysub = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]`;

/**
 * Everything one script changes travels as one message with contiguous
 * offsets under one epoch (`new_batch`): `record_change(change)` gives a
 * change the next offset, files its stream entry and returns the offset;
 * `publish_changes()` then sets `last_id` and publishes them all, if
 * anything changed. Reads the script locals `meta`, `log`,
 * `epoch_candidate`, `min_id`, `channel` and `command` (PUBLISH, or
 * SPUBLISH on a cluster, where sharded pub/sub keeps the message on the
 * shard that owns the channel's hash tag). Follows the meta, message and
 * epoch fragments.
 */
const CHANGES = `local changes_batch
local function record_change(change)
  -- The epoch is read (or a history started) at the first change only: a script that changes nothing starts none.
  if not changes_batch then changes_batch = new_batch(log, min_id, current_epoch(meta, epoch_candidate)) end
  local offset = offset_text(redis.call('HINCRBY', meta, META_OFFSET, 1))
  changes_batch.append(offset, change)
  return offset
end
local function publish_changes()
  if not changes_batch then return nil end
  redis.call('HSET', meta, META_LAST_ID, changes_batch.last_id)
  redis.call(command, channel, changes_batch.message())
  return changes_batch.first_offset
end`;

/**
 * `revoke_refusal(i, kind, id, sub)`: the request field (`items.<i>.<claim>`
 * or `items.<i>.sub`) of an id the id rule refuses in item i, or nil.
 * `revoke_item(...)`: one revocation, unless the same or a wider one is in
 * force (the protocol's widening rule: a later prune time, or for a subject
 * a later cutoff). Returns 1, the stored record and the offset for an item
 * written; 0, the record in force and '' for one already covered.
 * Reads the writer keys; follows every fragment before it.
 */
const REVOKE_ITEM = `local function revoke_refusal(i, kind, id, sub)
  if not valid_id(id) then return 'items.' .. i .. '.' .. (CLAIM_OF_TYPE[kind] or 'id') end
  if sub ~= '' and not valid_id(sub) then return 'items.' .. i .. '.sub' end
  return nil
end
local function revoke_item(member, kind, id, rank, prune_at, cutoff, record, change, sub)
  local previous_score = redis.call('ZSCORE', entries, member)
  if previous_score then
    -- What the held entry reaches (reachOf): its cutoff for a subject, its prune time otherwise.
    local held = tonumber(previous_score)
    if kind == 'subject' then held = tonumber(redis.call('HGET', cutoffs, id)) end
    local previous = redis.call('HGET', details, member)
    if not widens(held, rank) then return 0, previous or '', '' end
    local previous_sub = record_sub(previous)
    if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
  else
    redis.call('HINCRBY', meta, live_count_field(kind), 1)
  end
  local offset = record_change(change)
  local stored = '{"offset":' .. offset .. ',' .. string.sub(record, 2)
  redis.call('ZADD', entries, prune_at, member)
  redis.call('HSET', details, member, stored)
  if kind == 'subject' then redis.call('HSET', cutoffs, id, cutoff) end
  if sub ~= '' then redis.call('ZADD', bysub, 0, sub_member(sub, member)) end
  return 1, stored, offset
end`;

/**
 * `reinstate_item(member, kind, id, change)`: removes one revocation.
 * Returns 1, the removed record and the offset; 0, '' and '' when none was
 * in force (nothing is written). Reads the writer keys; follows every
 * fragment before it.
 */
const REINSTATE_ITEM = `local function reinstate_item(member, kind, id, change)
  if redis.call('ZREM', entries, member) == 0 then return 0, '', '' end
  local previous = redis.call('HGET', details, member)
  local previous_sub = record_sub(previous)
  if previous_sub then redis.call('ZREM', bysub, sub_member(previous_sub, member)) end
  redis.call('HDEL', details, member)
  if kind == 'subject' then redis.call('HDEL', cutoffs, id) end
  redis.call('HINCRBY', meta, live_count_field(kind), -1)
  return 1, previous or '', record_change(change)
end`;

/** Every fragment a writer script runs on, after its locals. */
const WRITER = `${META}
${MEMBERS}
${MESSAGE}
${WIDENING}
${SUB_INDEX_MEMBER}
${RECORD_SUB}
${EPOCH}
${LUA_VALID_ID}
${CHANGES}
${REVOKE_ITEM}
${REINSTATE_ITEM}
${RECORD_GUARD}`;

/** ARGV values per item of {@link REVOKE_BATCH}. */
export const BATCH_ITEM_FIELDS = 9;

/**
 * Every revocation, one or many, in one atomic script: a single revocation
 * is a batch of one, so both take one code path. A repeat changes nothing
 * unless it widens the revocation in force (see `revoke_item`). The changed
 * items get consecutive offsets and stream ids `<ms>-<seq>`, `<ms>-<seq+1>`,
 * ... after the first, which XADD picks; one PUBLISH carries them all, as a
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
 * PostgreSQL record owns this Redis (so do REINSTATE and WRITE_GROUPS).
 */
export const REVOKE_BATCH = `${WRITER_KEYS}
local epoch_candidate, min_id, channel, count, command = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
${WRITER}
-- All or nothing: every id is checked before anything is written (a refusal names the request field, the claim).
for i = 0, count - 1 do
  local base = 5 + i * ${BATCH_ITEM_FIELDS}
  local field = revoke_refusal(i, ARGV[base + 2], ARGV[base + 3], ARGV[base + 9])
  if field then ${REFUSE('field')} end
end
local reply = {''}
for i = 0, count - 1 do
  local base = 5 + i * ${BATCH_ITEM_FIELDS}
  local changed, record = revoke_item(ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], tonumber(ARGV[base + 4]), ARGV[base + 5], ARGV[base + 6], ARGV[base + 7], ARGV[base + 8], ARGV[base + 9])
  reply[#reply + 1] = changed
  reply[#reply + 1] = record
end
reply[1] = publish_changes() or ''
return reply
`;

/**
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: member, type, id, change JSON, epoch candidate, stream MINID, channel, publish command
 * Returns {1, removed record, offset} or {0} when nothing was revoked.
 */
export const REINSTATE = `${WRITER_KEYS}
local member, kind, id, change, epoch_candidate, min_id, channel, command =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
${WRITER}
if not valid_id(id) then ${REFUSE("'id'")} end
local removed, previous, offset = reinstate_item(member, kind, id, change)
if removed == 0 then return {0} end
publish_changes()
return {1, previous, offset}
`;

/** ARGV values per item of {@link WRITE_GROUPS}, after its op: a revocation's, as in REVOKE_BATCH, and a reinstatement's. */
export const GROUP_ITEM_FIELDS = { revoke: BATCH_ITEM_FIELDS, reinstate: 4 } as const;

/**
 * The calls that queued while a script was in flight, in one script and one
 * message: each group is one caller's revocation(s) (as REVOKE_BATCH takes
 * them, all or nothing) or reinstatement (as REINSTATE), applied in order,
 * so a later group sees what an earlier one wrote, exactly as if they had
 * run one after the other. A group with an id the rule refuses is answered
 * with its refusal and writes nothing; the other groups go ahead. All the
 * changes share one epoch, contiguous offsets, the batch stream ids and one
 * PUBLISH (a single message when only one item changed anything).
 *
 * KEYS: meta, entries, cutoffs, details, log, by-sub
 * ARGV: epoch candidate, stream MINID, channel, publish command, group count, then per group: its item count,
 *       then per item: 'revoke' and the REVOKE_BATCH item fields, or 'reinstate', member, type, id, change JSON
 * Returns one reply per group: {'refused', field}, or per item three values: 1, the stored (or removed)
 * record and the offset for an item that changed something; 0, the record in force (a revocation) or ''
 * (a reinstatement of nothing), and ''.
 */
export const WRITE_GROUPS = `${WRITER_KEYS}
local epoch_candidate, min_id, channel, command, groups = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
${WRITER}
local reply = {}
local at = 6
for g = 1, groups do
  local count = tonumber(ARGV[at])
  local first = at + 1
  -- One caller's items are all or nothing: every id is checked before any of them is written.
  local refusal
  at = first
  for i = 0, count - 1 do
    if ARGV[at] == 'revoke' then
      refusal = refusal or revoke_refusal(i, ARGV[at + 2], ARGV[at + 3], ARGV[at + 9])
      at = at + 1 + ${BATCH_ITEM_FIELDS}
    else
      if not refusal and not valid_id(ARGV[at + 3]) then refusal = 'id' end
      at = at + 1 + ${GROUP_ITEM_FIELDS.reinstate}
    end
  end
  if refusal then
    reply[g] = {'refused', refusal}
  else
    local results = {}
    local item = first
    for i = 0, count - 1 do
      local changed, record, offset
      if ARGV[item] == 'revoke' then
        changed, record, offset = revoke_item(ARGV[item + 1], ARGV[item + 2], ARGV[item + 3], tonumber(ARGV[item + 4]), ARGV[item + 5], ARGV[item + 6], ARGV[item + 7], ARGV[item + 8], ARGV[item + 9])
        item = item + 1 + ${BATCH_ITEM_FIELDS}
      else
        changed, record, offset = reinstate_item(ARGV[item + 1], ARGV[item + 2], ARGV[item + 3], ARGV[item + 4])
        item = item + 1 + ${GROUP_ITEM_FIELDS.reinstate}
      end
      results[#results + 1] = changed
      results[#results + 1] = record
      results[#results + 1] = offset
    end
    reply[g] = results
  end
end
publish_changes()
return reply
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
