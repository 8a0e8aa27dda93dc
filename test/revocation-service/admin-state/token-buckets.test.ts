import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { RedisTokenBuckets } from '../../../revocation-service/src/admin-state/redis-token-buckets.js';
import { MemoryTokenBuckets, type BucketKind } from '../../../revocation-service/src/admin-state/token-buckets.js';
import { uniquePrefix } from '../../support/fixtures.js';

/**
 * The token bucket is written once in TypeScript (spendToken) and once in
 * Lua (SPEND_TOKEN): fed the same spends at the same times, the in-process
 * buckets and the Redis buckets give the same answers, so the service keeps
 * the same limits whether it runs alone in memory or as replicas on Redis.
 */

const redisUrl = inject('redisUrl');

describe('token buckets: the Lua copy agrees with the rule', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('gives the same wait and first-refusal answers as the in-process buckets for any sequence of spends', async () => {
    const step = fc.record({
      // Time may also go back: another replica's clock.
      advanceMs: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: -5_000, max: 5_000 }), fc.constantFrom(0, 1, 999, 1000)),
      kind: fc.constantFrom<BucketKind>('rateLimit', 'authFailures'),
      id: fc.constantFrom('ops', 'ci', '10.0.0.1', '2001:db8:0:1::/64'),
    });
    const limit = fc.record({ requests: fc.integer({ min: 1, max: 4 }), perMs: fc.integer({ min: 60_000, max: 3_600_000 }) });
    await fc.assert(
      fc.asyncProperty(limit, fc.array(step, { minLength: 1, maxLength: 60 }), async (rate, steps) => {
        let now = 1_700_000_000_000;
        const clock = () => now;
        const memory = new MemoryTokenBuckets(clock);
        // A fresh prefix per run: the Redis buckets start empty, like the in-process ones.
        const shared = new RedisTokenBuckets(redis, redisKeys(uniquePrefix()), clock);
        for (const { advanceMs, kind, id } of steps) {
          now += advanceMs;
          const [expected, actual] = await Promise.all([memory.take(kind, id, rate), shared.take(kind, id, rate)]);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses past the burst, reports the first refusal once, and forgets a bucket once it is full again', async () => {
    let now = 1_700_000_000_000;
    const keys = redisKeys(uniquePrefix());
    const shared = new RedisTokenBuckets(redis, keys, () => now);
    const rate = { requests: 2, perMs: 60_000 };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await shared.take('rateLimit', 'ops', rate));
    expect(answers).toEqual([
      { waitMs: 0, firstRefusal: false },
      { waitMs: 0, firstRefusal: false },
      { waitMs: 30_000, firstRefusal: true },
      { waitMs: 30_000, firstRefusal: false },
    ]);
    // The key names the bucket under the prefix's hash tag and expires on its own.
    const ttl = await redis.pttl(keys.rateLimit('ops'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    now += 30_000;
    expect(await shared.take('rateLimit', 'ops', rate)).toEqual({ waitMs: 0, firstRefusal: false });
  });
});
