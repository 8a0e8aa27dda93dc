import type { RedisClient } from '@revocast/verifier-sdk';
import type { RedisKeys } from '@revocast/verifier-sdk/protocol';
import type { RateLimit } from '../http/rate-limiter.js';
import type { BucketKind, BucketTake, TokenBuckets } from './token-buckets.js';

/**
 * `spendToken` (token-buckets.ts) in Lua, so a read-refill-spend is one
 * atomic step however many replicas spend from the bucket at once. Numbers
 * are stored with 17 significant digits so a stored bucket reads back as the
 * same double (Lua's own conversion keeps 14). The key expires `perMs` after
 * its last change: by then the bucket is full, which is what a missing key means.
 *
 * KEYS[1] bucket; ARGV requests, perMs, now (epoch ms). Returns {waitMs, firstRefusal}.
 */
export const SPEND_TOKEN = `
local requests = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local saved = redis.call('HMGET', KEYS[1], 't', 'u', 'r')
local tokens = requests
local updated = now
local reported = 0
if saved[1] then
  local previous = tonumber(saved[2])
  updated = math.max(previous, now)
  tokens = math.min(requests, tonumber(saved[1]) + ((updated - previous) * requests) / per)
  reported = tonumber(saved[3])
end
if tokens >= requests then reported = 0 end
local wait = 0
local first = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil(((1 - tokens) * per) / requests)
  if reported == 0 then first = 1 end
  reported = 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', updated), 'r', reported)
redis.call('PEXPIRE', KEYS[1], math.ceil(per))
return {wait, first}
`;

interface Scripts {
  revocastSpendToken(key: string, requests: number, perMs: number, now: number): Promise<[number, number]>;
}

/** Token buckets in Redis: one budget per admin key and per client address, whichever replica is asked. */
export class RedisTokenBuckets implements TokenBuckets {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #clock: () => number;

  constructor(redis: RedisClient, keys: RedisKeys, clock: () => number = Date.now) {
    this.#redis = redis;
    this.#keys = keys;
    this.#clock = clock;
    this.#redis.defineCommand('revocastSpendToken', { numberOfKeys: 1, lua: SPEND_TOKEN });
  }

  async take(kind: BucketKind, id: string, limit: RateLimit): Promise<BucketTake> {
    const [waitMs, first] = await (this.#redis as unknown as Scripts).revocastSpendToken(
      this.#keys[kind](id),
      limit.requests,
      limit.perMs,
      this.#clock(),
    );
    return { waitMs, firstRefusal: first === 1 };
  }
}
