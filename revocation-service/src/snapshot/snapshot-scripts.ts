import { MANIFEST_FIELDS, META } from '@revocast/verifier-sdk/protocol';

/**
 * Makes a written snapshot the current one, atomically, only if it belongs
 * to the history Redis holds now (same epoch, offset not beyond the head),
 * is newer than the current one, and every one of its chunks is there (a
 * failover mid-write loses some). The new chunks lose the expiry they were
 * written with (so an abandoned write cleans itself up); the replaced
 * snapshot's chunks expire after a grace period, long enough for a reader
 * that started on it to finish.
 *
 * KEYS: meta, manifest
 * ARGV: chunk key base (`…:snapshot:`), grace ms, then the new manifest as field/value pairs
 * Returns 'written', 'not-in-history', 'not-newer' or 'chunk-missing'.
 */
export const SWAP_SNAPSHOT = `
local meta, manifest = KEYS[1], KEYS[2]
local base, grace = ARGV[1], ARGV[2]
local fields = {}
for i = 3, #ARGV, 2 do fields[ARGV[i]] = ARGV[i + 1] end
local epoch, offset = fields['${MANIFEST_FIELDS.epoch}'], tonumber(fields['${MANIFEST_FIELDS.offset}'])
local id, chunks = fields['${MANIFEST_FIELDS.id}'], tonumber(fields['${MANIFEST_FIELDS.chunks}'])
local head = redis.call('HMGET', meta, '${META.epoch}', '${META.offset}')
if head[1] ~= epoch or tonumber(head[2] or '-1') < offset then return 'not-in-history' end
local current = redis.call('HMGET', manifest, '${MANIFEST_FIELDS.epoch}', '${MANIFEST_FIELDS.offset}', '${MANIFEST_FIELDS.id}', '${MANIFEST_FIELDS.chunks}')
if current[1] == epoch and tonumber(current[2] or '-1') >= offset then return 'not-newer' end
for i = 0, chunks - 1 do
  if redis.call('EXISTS', base .. id .. ':' .. i) == 0 then return 'chunk-missing' end
end
for i = 0, chunks - 1 do redis.call('PERSIST', base .. id .. ':' .. i) end
if current[3] and current[3] ~= id then
  for i = 0, (tonumber(current[4]) or 0) - 1 do redis.call('PEXPIRE', base .. current[3] .. ':' .. i, grace) end
end
redis.call('DEL', manifest)
redis.call('HSET', manifest, unpack(ARGV, 3))
return 'written'
`;
