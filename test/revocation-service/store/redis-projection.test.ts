import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeChange, redisKeys } from '@revocast/verifier-sdk/protocol';
import { SWAP_IN } from '../../../revocation-service/src/store/projection-scripts.js';
import { RedisProjection, type ProjectedChange } from '../../../revocation-service/src/store/redis-projection.js';
import { uniquePrefix } from '../../support/fixtures.js';

const redisUrl = inject('redisUrl');
const EPOCH = 'a1b2c3d4e5f60718';
const inAnHour = Date.now() + 3_600_000;

function revoke(offset: number, jti: string): ProjectedChange {
  const entry = { type: 'token', id: jti, pruneAt: inAnHour } as const;
  return { offset, member: `jti:${jti}`, pruneAt: inAnHour, cutoff: null, body: encodeChange({ op: 'revoke', entry, at: Date.now() }) };
}

describe('Redis as a projection of the record', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(() => {
    redis.disconnect();
  });

  async function seeded(): Promise<{ projection: RedisProjection; keyPrefix: string }> {
    const keyPrefix = uniquePrefix();
    const projection = new RedisProjection({
      redis: redisUrl,
      keyPrefix,
      maxTokenTtlMs: 3_600_000,
      retentionGraceMs: 60_000,
      commandTimeoutMs: 1000,
    });
    await projection.ready();
    await projection.reseed(EPOCH, 10, (async function* () {})(), (await projection.readAll()).stamp);
    return { projection, keyPrefix };
  }

  it('applies each offset once and in order, however often it is published', async () => {
    const { projection, keyPrefix } = await seeded();
    try {
      expect(await projection.apply(EPOCH, [revoke(11, 'a'), revoke(12, 'b')], Date.now())).toEqual({
        status: 'ok',
        offset: 12,
        applied: 2,
      });
      // A second replica publishing the same and the next change: only the new one is applied.
      expect(await projection.apply(EPOCH, [revoke(11, 'a'), revoke(12, 'b'), revoke(13, 'c')], Date.now())).toEqual({
        status: 'ok',
        offset: 13,
        applied: 1,
      });
      expect(await redis.xlen(redisKeys(keyPrefix).log)).toBe(3);
      // A gap is refused: Redis never holds offset 15 without 14.
      expect(await projection.apply(EPOCH, [revoke(15, 'e')], Date.now())).toEqual({ status: 'gap', offset: 13, applied: 0 });
      expect(await redis.zscore(redisKeys(keyPrefix).entries, 'jti:e')).toBeNull();
    } finally {
      await projection.close();
    }
  });

  it('writes nothing under another epoch, or into a Redis without history', async () => {
    const { projection, keyPrefix } = await seeded();
    try {
      expect(await projection.apply('ffffffffffffffff', [revoke(11, 'x')], Date.now())).toMatchObject({ status: 'epoch', applied: 0 });
      await redis.del(redisKeys(keyPrefix).meta);
      expect(await projection.apply(EPOCH, [revoke(11, 'x')], Date.now())).toMatchObject({ status: 'empty', applied: 0 });
      expect(await redis.zscore(redisKeys(keyPrefix).entries, 'jti:x')).toBeNull();
    } finally {
      await projection.close();
    }
  });

  it('refuses to swap in a re-seed whose staged entries are not all there (a failover in between)', async () => {
    const { projection, keyPrefix } = await seeded();
    try {
      await projection.apply(EPOCH, [revoke(11, 'kept')], Date.now());
      const k = redisKeys(keyPrefix);
      // One staged entry of the two the re-seed wrote reached this node.
      await redis.zadd(`${k.entries}:staged`, inAnHour, 'jti:one');
      const swapped = await redis.eval(
        SWAP_IN,
        8,
        k.meta,
        k.entries,
        k.cutoffs,
        k.log,
        `${k.entries}:staged`,
        `${k.cutoffs}:staged`,
        k.details,
        k.bySub,
        'ffffffffffffffff',
        '20',
        '2',
        '0',
      );
      expect(swapped).toBe(-1);
      expect(await redis.hget(k.meta, 'epoch')).toBe(EPOCH);
      expect(await redis.zscore(k.entries, 'jti:kept')).not.toBeNull();
    } finally {
      await projection.close();
    }
  });

  it('re-seeds under a new epoch: the staged list, an empty stream, the record offset', async () => {
    const { projection, keyPrefix } = await seeded();
    try {
      await projection.apply(EPOCH, [revoke(11, 'old')], Date.now());
      const pages = (async function* () {
        yield [
          ['jti:n1', { pruneAt: inAnHour }],
          ['sub:u1', { pruneAt: inAnHour, cutoff: 1234 }],
        ] as const;
      })();
      const { stamp } = await projection.readAll();
      expect(stamp).toBe(`${EPOCH}:0`);
      expect(await projection.reseed('0123456789abcdef', 40, pages, stamp)).toBe(2);
      const k = redisKeys(keyPrefix);
      expect(await redis.hgetall(k.meta)).toEqual({ epoch: '0123456789abcdef', offset: '40', last_id: '0-0', durable: '1' });
      expect(await redis.zrange(k.entries, 0, -1)).toEqual(['jti:n1', 'sub:u1']);
      expect(await redis.hgetall(k.cutoffs)).toEqual({ u1: '1234' });
      expect(await redis.exists(k.log, `${k.entries}:staged`)).toBe(0);
    } finally {
      await projection.close();
    }
  });

  it('swaps nothing in when a writer that bypasses the record added a revocation after what Redis held was read', async () => {
    const { projection, keyPrefix } = await seeded();
    const k = redisKeys(keyPrefix);
    try {
      const { stamp } = await projection.readAll();
      // The record's own publishes go on during a re-seed: they do not count.
      await projection.apply(EPOCH, [revoke(11, 'published')], Date.now());
      // A Redis-only store's revocation: an entry with its full record.
      await redis.multi().zadd(k.entries, inAnHour, 'jti:late').hset(k.details, 'jti:late', '{"type":"token","id":"late"}').exec();
      const pages = (async function* () {
        yield [['jti:n1', { pruneAt: inAnHour }]] as const;
      })();
      await expect(projection.reseed('0123456789abcdef', 40, pages, stamp)).rejects.toThrow(/took a change while it was being re-seeded/);
      expect(await redis.hget(k.meta, 'epoch')).toBe(EPOCH);
      expect(await redis.zscore(k.entries, 'jti:late')).not.toBeNull();

      // Read again (and adopted, in the service), the swap goes through.
      const again = (await projection.readAll()).stamp;
      const retry = (async function* () {
        yield [
          ['jti:n1', { pruneAt: inAnHour }],
          ['jti:late', { pruneAt: inAnHour }],
        ] as const;
      })();
      expect(await projection.reseed('0123456789abcdef', 40, retry, again)).toBe(2);
    } finally {
      await projection.close();
    }
  });
});
