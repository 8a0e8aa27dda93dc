import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { outcome, postgresStore, signToken, sql, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import { startRedisServer, type RedisHandle } from '../support/redis-server.js';

const BUDGET_S = 2;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Ways a Redis keeps answering reads while it refuses every write, and how each is undone. */
const refusals = {
  'at maxmemory with noeviction': {
    async refuse(redis: Redis): Promise<void> {
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
      await redis.config('SET', 'maxmemory', String((await used()) + 1024 * 1024));
      const chunk = 'x'.repeat(100_000);
      for (let i = 0; ; i++) {
        try {
          await redis.set(`filler:${i}`, chunk);
        } catch (err) {
          expect((err as Error).message).toMatch(/^OOM/);
          break;
        }
      }
      // Full: so that what Redis frees of its own buffers never lets a write slip through.
      await redis.config('SET', 'maxmemory', String((await used()) - 256 * 1024));
    },
    async accept(redis: Redis): Promise<void> {
      await redis.config('SET', 'maxmemory', '0');
    },
  },
  'with min-replicas-to-write 1 and no replica': {
    async refuse(redis: Redis): Promise<void> {
      await redis.config('SET', 'min-replicas-to-write', '1');
    },
    async accept(redis: Redis): Promise<void> {
      await redis.config('SET', 'min-replicas-to-write', '0');
    },
  },
};

describe('PostgreSQL as the record, Redis refusing writes but answering reads', () => {
  let redisServer: RedisHandle;
  let redis: Redis;
  const schemas: string[] = [];
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url);
    redis.on('error', () => {});
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
    await redis.config('SET', 'maxmemory', '0');
    await redis.config('SET', 'min-replicas-to-write', '0');
    await redis.flushall();
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.stop();
    for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  for (const [name, fault] of Object.entries(refusals)) {
    it(`turns stale within its budget ${name}, never accepting what was revoked meanwhile, and recovers`, async () => {
      const keyPrefix = uniquePrefix();
      schemas.push(keyPrefix);
      const service: ServiceHandle = await startService({ store: postgresStore({ redisUrl: redisServer.url, keyPrefix }) });
      open.push(service);
      const verifier: Verifier = testVerifier({ redis: redisServer.url, keyPrefix, maxStaleness: BUDGET_S, pollInterval: 0.1 });
      open.push(verifier);
      await verifier.ready();
      const before = await signToken({ jti: 'before-refusal', exp: inAnHour() });
      expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'before-refusal', exp: inAnHour() } })).status).toBe(201);
      await waitFor(async () => (await outcome(verifier, before)) === 'ERR_TOKEN_REVOKED' && verifier.status.state === 'ready', 10_000);

      await fault.refuse(redis);
      await expect(redis.set('probe', '1')).rejects.toThrow(/OOM|NOREPLICAS/);
      expect(await redis.get('probe')).toBeNull();

      // Committed to PostgreSQL, so acknowledged; Redis refuses the outbox.
      const token = await signToken({ jti: 'during-refusal', exp: inAnHour() });
      expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'during-refusal', exp: inAnHour() } })).status).toBe(201);
      const ackAt = Date.now();

      const late: Array<{ afterAckMs: number; status: unknown }> = [];
      await waitFor(
        async () => {
          const probedAt = Date.now();
          const answer = await outcome(verifier, token);
          if (answer === 'accepted' && probedAt - ackAt > BUDGET_S * 1000) late.push({ afterAckMs: probedAt - ackAt, status: verifier.status });
          expect(answer).not.toBe('ERR_TOKEN_REVOKED');
          return answer === 'ERR_LIST_STALE';
        },
        30_000,
        20,
      );
      expect(late).toEqual([]);
      expect(verifier.status.stale).toBe(true);
      // What it knew stays rejected as stale too (it fails closed), and nothing it serves is accepted.
      expect(await outcome(verifier, before)).toBe('ERR_LIST_STALE');

      await fault.accept(redis);
      await waitFor(async () => (await outcome(verifier, token)) === 'ERR_TOKEN_REVOKED', 30_000, 20);
      expect(verifier.status).toMatchObject({ state: 'ready', stale: false });
    }, 90_000);
  }
});
