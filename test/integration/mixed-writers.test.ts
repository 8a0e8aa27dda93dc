import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { META, redisKeys } from '@revocast/verifier-sdk/protocol';
import type { PostgresStore } from '@revocast/revocation-service';
import {
  captureLogs,
  postgresStore,
  sql,
  startService,
  storeState,
  testVerifier,
  uniquePrefix,
  waitFor,
  type ServiceHandle,
} from '../support/fixtures.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** What a Redis-only writer revokes in these tests, and how a verifier is asked about each. */
const REVOKED = [
  { body: { type: 'token', jti: 'app-token', sub: 'alice', reason: 'signed out' }, claims: { jti: 'app-token' } },
  { body: { type: 'session', sid: 'app-session', sub: 'alice', reason: 'signed out' }, claims: { sid: 'app-session' } },
  { body: { type: 'subject', sub: 'bob', reason: 'forced logout' }, claims: { sub: 'bob', iat: 1 } },
] as const;

/**
 * Two writers on one Redis: a Redis-only one (the RedisStore, as the example
 * app's embedded mode runs it) and a PostgreSQL-backed service. Nothing but
 * an audited reinstate may un-revoke, and a Redis that belongs to a record
 * refuses writers that bypass it.
 */
describe('two writers, one Redis', () => {
  const redisUrl = inject('redisUrl');
  let redis: Redis;
  const schemas: string[] = [];
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });
  afterAll(async () => {
    redis.disconnect();
    for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  type Replica = ServiceHandle & { store: PostgresStore; registry: Registry; storeLogs: Array<Record<string, unknown>> };
  async function replica(schema: string, keyPrefix: string): Promise<Replica> {
    if (!schemas.includes(schema)) schemas.push(schema);
    const registry = new Registry();
    const logs = captureLogs();
    const store = postgresStore({ redisUrl, keyPrefix, schema, registry, logs });
    const service = await startService({ store });
    open.push(service);
    return Object.assign(service, { store, registry, storeLogs: logs.lines });
  }

  async function redisOnly(keyPrefix: string): Promise<ServiceHandle> {
    const service = await startService({ redisUrl, keyPrefix });
    open.push(service);
    return service;
  }

  async function verifier(keyPrefix: string): Promise<Verifier> {
    const v = testVerifier({ redis: redisUrl, keyPrefix, maxStaleness: 30 });
    open.push(v);
    await v.ready();
    return v;
  }

  /**
   * Asks the verifier about every item every 2 ms until stopped; counts the
   * times one it had already rejected was accepted again.
   */
  function watch(v: Verifier): { stop(): number } {
    let accepted = 0;
    const revoked = new Set<number>();
    const timer = setInterval(() => {
      REVOKED.forEach(({ claims }, i) => {
        if (v.isRevoked(claims)) revoked.add(i);
        else if (revoked.has(i)) accepted++;
      });
    }, 2);
    return {
      stop() {
        clearInterval(timer);
        return accepted;
      },
    };
  }

  it('a PostgreSQL service taking over a Redis that a Redis-only writer filled adopts its revocations: not one is accepted meanwhile', async () => {
    const schema = uniquePrefix();
    const keyPrefix = uniquePrefix();
    // The record already has a history of its own (from another Redis), so this is no first start.
    const earlier = await replica(schema, uniquePrefix());
    expect((await earlier.admin('/v1/revocations', { body: { type: 'token', jti: 'record-token', exp: inAnHour() } })).status).toBe(201);
    await earlier.close();

    const app = await redisOnly(keyPrefix);
    for (const { body } of REVOKED)
      expect(
        (await app.admin('/v1/revocations', { body: { ...body, ...(body.type === 'subject' ? {} : { exp: inAnHour() }) } })).status,
      ).toBe(201);
    const v = await verifier(keyPrefix);
    for (const { claims } of REVOKED) expect(v.isRevoked(claims)).toBe(true);
    const epochBefore = v.status.epoch;

    const watcher = watch(v);
    let service: Replica;
    try {
      service = await replica(schema, keyPrefix);
      // Redis carries another history than the record's: the service re-seeds it, under a new epoch the verifier follows.
      await waitFor(() => v.status.epoch !== epochBefore && v.status.state === 'ready', 15_000, 10);
      await waitFor(async () => (await service.store.counts()).token === 2, 5000, 20);
    } finally {
      expect(watcher.stop()).toBe(0);
    }
    for (const { claims } of REVOKED) expect(v.isRevoked(claims)).toBe(true);
    expect(v.isRevoked({ jti: 'record-token' })).toBe(true);

    // The record holds them now, with who revoked them and why, marked as adopted.
    const token = (await (await service.admin('/v1/revocations/token/app-token')).json()) as Record<string, unknown>;
    expect(token).toMatchObject({ jti: 'app-token', sub: 'alice', reason: 'signed out', revokedBy: 'tests' });
    expect(Date.parse(token.adoptedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await service.admin('/v1/revocations/session/app-session')).status).toBe(200);
    expect((await service.admin('/v1/revocations/subject/bob')).status).toBe(200);
    expect(await service.store.counts()).toEqual({ token: 2, session: 1, subject: 1 });
    expect(await service.registry.metrics()).toMatch(/^revocast_redis_adopted_total 3$/m);
    expect(service.storeLogs.filter((line) => (line.audit as { action?: string } | undefined)?.action === 'adopt')).toHaveLength(3);

    // And an adopted revocation is the record's like any other: an audited reinstate lifts it everywhere.
    expect((await service.admin('/v1/revocations/token/app-token', { method: 'DELETE' })).status).toBe(200);
    await waitFor(() => !v.isRevoked({ jti: 'app-token' }), 5000);
  });

  it('refuses the Redis-only writer on a Redis a PostgreSQL record owns, with 409 and what to do, writing nothing', async () => {
    const schema = uniquePrefix();
    const keyPrefix = uniquePrefix();
    const service = await replica(schema, keyPrefix);
    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'owned', exp: inAnHour() } })).status).toBe(201);
    await waitFor(async () => (await redis.hget(redisKeys(keyPrefix).meta, META.durable)) === '1', 5000, 20);

    const app = await redisOnly(keyPrefix);
    const before = await storeState(redis, keyPrefix);
    const attempts = [
      app.admin('/v1/revocations', { body: { type: 'token', jti: 'bypass', exp: inAnHour() } }),
      app.admin('/v1/revocations/batch', {
        body: {
          items: [
            { type: 'session', sid: 'bypass-1' },
            { type: 'subject', sub: 'bypass-2' },
          ],
        },
      }),
      app.admin('/v1/revocations/token/owned', { method: 'DELETE' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe('ERR_REDIS_OWNED_BY_RECORD');
      expect(problem.detail).toMatch(/point this writer at the revocation service/);
      expect(problem.detail).toMatch(/DATABASE_URL/);
    }
    expect(await storeState(redis, keyPrefix)).toEqual(before);
    // The service that owns the record goes on as before.
    const v = await verifier(keyPrefix);
    expect(v.isRevoked({ jti: 'owned' })).toBe(true);
    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'through-the-record', exp: inAnHour() } })).status).toBe(
      201,
    );
    await waitFor(() => v.isRevoked({ jti: 'through-the-record' }), 5000);
  });

  it('a writer that does not check the mark (an older release) still cannot get a revocation wiped: reconciliation adopts it', async () => {
    const schema = uniquePrefix();
    const keyPrefix = uniquePrefix();
    const keys = redisKeys(keyPrefix);
    const service = await replica(schema, keyPrefix);
    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'owned', exp: inAnHour() } })).status).toBe(201);
    const v = await verifier(keyPrefix);
    await waitFor(() => v.isRevoked({ jti: 'owned' }), 5000);
    // Without the mark, the Redis-only store writes as it did before it checked.
    await redis.hdel(keys.meta, META.durable);
    const app = await redisOnly(keyPrefix);
    const watcher = watch(v);
    try {
      for (const { body } of REVOKED)
        expect(
          (await app.admin('/v1/revocations', { body: { ...body, ...(body.type === 'subject' ? {} : { exp: inAnHour() }) } })).status,
        ).toBe(201);
      await waitFor(() => REVOKED.every(({ claims }) => v.isRevoked(claims)), 5000);
      // Redis is now ahead of the record: the outbox re-seeds it, adopting what only Redis holds first.
      await waitFor(async () => (await service.store.counts()).token === 2, 10_000, 20);
      await waitFor(async () => (await redis.hget(keys.meta, META.durable)) === '1', 10_000, 20);
      // Redis and the record agree (a run during the re-seed's commit is skipped, so ask until one compares).
      await waitFor(async () => (await service.store.reconcile()).result === 'consistent', 15_000, 50);
    } finally {
      expect(watcher.stop()).toBe(0);
    }
    expect(await service.store.counts()).toEqual({ token: 2, session: 1, subject: 1 });
    // Marked again: the bypassing writer is refused from now on.
    expect((await app.admin('/v1/revocations', { body: { type: 'token', jti: 'refused', exp: inAnHour() } })).status).toBe(409);
  });
});
