import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import type { PostgresStore } from '@revocast/revocation-service';
import {
  captureLogs,
  outcome,
  postgresStore,
  signToken,
  sql,
  startService,
  testVerifier,
  uniquePrefix,
  waitFor,
  type ServiceHandle,
} from '../support/fixtures.js';
import { freePort, startRedisServer, type RedisHandle } from '../support/redis-server.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** A counter's value in a registry's text output (0 when absent). */
async function counter(registry: Registry, line: string): Promise<number> {
  const text = await registry.metrics();
  const match = new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

describe('PostgreSQL as the record, Redis as its projection', () => {
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
  });
  afterAll(async () => {
    redis.disconnect();
    await redisServer.stop();
    for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  /** A service replica on the durable store; every replica of a test shares one schema and key prefix. */
  type Replica = ServiceHandle & { store: PostgresStore; registry: Registry; storeLogs: Array<Record<string, unknown>> };
  async function replica(keyPrefix: string, redisUrl = redisServer.url): Promise<Replica> {
    if (!schemas.includes(keyPrefix)) schemas.push(keyPrefix);
    const registry = new Registry();
    const logs = captureLogs();
    const store = postgresStore({ redisUrl, keyPrefix, registry, logs });
    const service = await startService({ store });
    open.push(service);
    return Object.assign(service, { store, registry, storeLogs: logs.lines });
  }

  async function verifier(keyPrefix: string, registry?: Registry): Promise<Verifier> {
    const v = testVerifier({ redis: redisServer.url, keyPrefix, commandTimeout: 0.5, ...(registry === undefined ? {} : { registry }) });
    open.push(v);
    await v.ready();
    return v;
  }

  const revoke = (service: ServiceHandle, body: Record<string, unknown>) => service.admin('/v1/revocations', { body });

  it('acknowledges a revocation only once PostgreSQL holds it, and verifiers enforce it', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    const res = await revoke(service, { type: 'token', jti: 'durable-1', exp: inAnHour(), reason: 'leaked' });
    expect(res.status).toBe(201);
    const rows = await sql<{ member: string; change_offset: string }>(`SELECT member, change_offset FROM "${keyPrefix}".revocations`);
    expect(rows).toEqual([{ member: 'jti:durable-1', change_offset: '1' }]);
    expect(await sql(`SELECT change_offset FROM "${keyPrefix}".changes`)).toEqual([{ change_offset: '1' }]);
    await waitFor(() => v.isRevoked({ jti: 'durable-1' }), 15_000);
    expect(await outcome(v, await signToken({ jti: 'durable-1' }))).toBe('ERR_TOKEN_REVOKED');
    // Reads come from the record.
    const shown = (await (await service.admin('/v1/revocations/token/durable-1')).json()) as { reason: string; offset: number };
    expect(shown).toMatchObject({ reason: 'leaked', offset: 1 });
  });

  it('applies the schema migrations once, however many replicas start together', async () => {
    const keyPrefix = uniquePrefix();
    schemas.push(keyPrefix);
    const stores = [0, 1, 2].map(() => postgresStore({ redisUrl: redisServer.url, keyPrefix }));
    open.push(...stores);
    await Promise.all(stores.map((store) => store.ready()));
    const migrations = await sql<{ version: number }>(`SELECT version FROM "${keyPrefix}".schema_migrations ORDER BY version`);
    expect(migrations).toEqual([{ version: 1 }, { version: 2 }]);
    // And once more on a restart: nothing to do.
    const again = postgresStore({ redisUrl: redisServer.url, keyPrefix });
    open.push(again);
    await again.ready();
    expect(await sql(`SELECT version FROM "${keyPrefix}".schema_migrations ORDER BY version`)).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it('gives changes from several replicas one gapless order, and each verifier applies them once', async () => {
    const keyPrefix = uniquePrefix();
    const replicas = [await replica(keyPrefix), await replica(keyPrefix), await replica(keyPrefix)];
    const registry = new Registry();
    const v = await verifier(keyPrefix, registry);
    const jtis = Array.from({ length: 150 }, (_, i) => `multi-${i}`);
    const statuses = await Promise.all(
      jtis.map((jti, i) =>
        revoke(replicas[i % replicas.length] as ServiceHandle, { type: 'token', jti, exp: inAnHour() }).then((r) => r.status),
      ),
    );
    expect(statuses.every((status) => status === 201)).toBe(true);

    const offsets = (await sql<{ change_offset: string }>(`SELECT change_offset FROM "${keyPrefix}".changes ORDER BY change_offset`)).map(
      (r) => Number(r.change_offset),
    );
    expect(offsets).toEqual(jtis.map((_, i) => i + 1));
    await waitFor(() => v.status.offset === jtis.length, 5000);
    expect(jtis.every((jti) => v.isRevoked({ jti }))).toBe(true);
    // The stream holds each offset once, in order, however many replicas published it.
    const stream = await redis.xrange(redisKeys(keyPrefix).log, '-', '+');
    expect(stream.map(([, fields]) => Number(fields[3]))).toEqual(offsets);
    expect(await counter(registry, 'revocast_verifier_reloads_total{reason="start"}')).toBe(1);
    expect(await registry.metrics()).not.toMatch(
      /revocast_verifier_reloads_total\{reason="(epoch-changed|offset-regressed|history-trimmed)"\}/,
    );
  });

  it('publishes from the outbox a change another replica committed but could not publish', async () => {
    const keyPrefix = uniquePrefix();
    const survivor = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    expect((await revoke(survivor, { type: 'session', sid: 'first' })).status).toBe(201);
    await waitFor(() => v.isRevoked({ sid: 'first' }));
    const reloads = v.status.epoch;

    // This replica reaches PostgreSQL but not Redis: it commits, acknowledges, and cannot publish.
    const cutOff = await replica(keyPrefix, `redis://127.0.0.1:${await freePort()}`);
    expect((await revoke(cutOff, { type: 'token', jti: 'orphaned', exp: inAnHour() })).status).toBe(201);
    await cutOff.close();

    await waitFor(() => v.isRevoked({ jti: 'orphaned' }), 5000);
    // Delivered in the same history, as the next offset: no re-seed, no reload.
    expect(v.status.epoch).toBe(reloads);
    expect(v.status.offset).toBe(2);
    expect(await survivor.registry.metrics()).not.toMatch(/revocast_redis_reseeds_total\{reason="(?!first-start)/);
  });

  it('re-seeds Redis after FLUSHALL: tokens revoked before the flush are never accepted again', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    expect((await revoke(service, { type: 'token', jti: 'pre-flush', exp: inAnHour() })).status).toBe(201);
    expect((await revoke(service, { type: 'subject', sub: 'mallory' })).status).toBe(201);
    await waitFor(() => v.isRevoked({ jti: 'pre-flush' }) && v.isRevoked({ sub: 'mallory', iat: 1 }));
    const epochBefore = v.status.epoch;
    const token = await signToken({ jti: 'pre-flush' });
    const oldSession = await signToken({ sub: 'mallory', iat: Date.now() / 1000 - 60 });

    // Watch every few milliseconds from the flush until the verifier follows the new epoch.
    let accepted = 0;
    let checks = 0;
    const watch = setInterval(() => {
      checks++;
      if (!v.isRevoked({ jti: 'pre-flush' }) || !v.isRevoked({ sub: 'mallory', iat: 1 })) accepted++;
    }, 2);
    try {
      await redis.flushall();
      await waitFor(() => v.status.epoch !== epochBefore && v.status.epoch !== null, 5000);
    } finally {
      clearInterval(watch);
    }
    expect(checks).toBeGreaterThan(5);
    expect(accepted).toBe(0);
    expect(await outcome(v, token)).toBe('ERR_TOKEN_REVOKED');
    expect(await outcome(v, oldSession)).toBe('ERR_TOKEN_REVOKED');
    await waitFor(async () => (await counter(service.registry, 'revocast_redis_reseeds_total{reason="redis-empty"}')) === 1, 5000, 20);
    // Redis holds the record again, and a verifier started now loads it.
    const late = await verifier(keyPrefix);
    expect(late.isRevoked({ jti: 'pre-flush' })).toBe(true);
    expect(late.status.offset).toBe(2);
  });

  it('re-seeds Redis when it restarts empty, and verifiers reject what was revoked before', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    for (const jti of ['r1', 'r2', 'r3']) expect((await revoke(service, { type: 'token', jti, exp: inAnHour() })).status).toBe(201);
    await waitFor(() => v.status.offset === 3);
    const epochBefore = v.status.epoch;

    await redisServer.kill();
    // Acknowledged while Redis is down: it is in the record.
    expect((await revoke(service, { type: 'token', jti: 'r4', exp: inAnHour() })).status).toBe(201);
    await redisServer.start();

    await waitFor(() => v.status.epoch !== epochBefore && v.isRevoked({ jti: 'r4' }), 8000, 20);
    expect(['r1', 'r2', 'r3', 'r4'].every((jti) => v.isRevoked({ jti }))).toBe(true);
    expect(v.status.offset).toBe(4);
    await waitFor(async () => (await counter(service.registry, 'revocast_redis_reseeds_total{reason="redis-empty"}')) >= 1, 5000, 20);
  });

  it('re-seeds under a new epoch when Redis offsets go backwards (a failover that lost writes)', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    for (const jti of ['f1', 'f2', 'f3']) await revoke(service, { type: 'token', jti, exp: inAnHour() });
    await waitFor(() => v.status.offset === 3);
    // The outbox has recorded that Redis confirmed offset 3.
    await waitFor(
      async () => (await sql<{ published: string }>(`SELECT published FROM "${keyPrefix}".publication`))[0]?.published === '3',
      3000,
      20,
    );
    const keys = redisKeys(keyPrefix);
    const epochBefore = v.status.epoch;
    // What a promoted replica that missed the last write looks like.
    await redis.multi().hset(keys.meta, 'offset', '2').zrem(keys.entries, 'jti:f3').exec();

    await waitFor(() => v.status.epoch !== epochBefore, 5000);
    // Counted once the re-seed commits, a moment after verifiers can see the new epoch.
    await waitFor(async () => (await counter(service.registry, 'revocast_redis_reseeds_total{reason="offset-regressed"}')) === 1, 5000, 20);
    await waitFor(() => v.isRevoked({ jti: 'f3' }), 15_000);
    expect(await redis.zscore(keys.entries, 'jti:f3')).not.toBeNull();
  });

  it('never accepts a revoked token when Redis goes back to an earlier history (a failover to a stale replica)', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    for (const jti of ['h1', 'h2', 'h3']) await revoke(service, { type: 'token', jti, exp: inAnHour() });
    await waitFor(() => v.status.offset === 3);
    const epochBefore = v.status.epoch;
    const keys = redisKeys(keyPrefix);

    let accepted = 0;
    const watch = setInterval(() => {
      if (!v.isRevoked({ jti: 'h2' }) || !v.isRevoked({ jti: 'h3' })) accepted++;
    }, 2);
    try {
      // The promoted node still carries an earlier epoch, from before h2 and h3.
      await redis.multi().hset(keys.meta, 'epoch', '00000000000000aa', 'offset', '1').zrem(keys.entries, 'jti:h2', 'jti:h3').exec();
      await waitFor(() => v.status.epoch !== epochBefore && v.status.epoch !== '00000000000000aa', 5000);
    } finally {
      clearInterval(watch);
    }
    expect(accepted).toBe(0);
    expect(v.status.offset).toBe(3);
    expect(['h1', 'h2', 'h3'].every((jti) => v.isRevoked({ jti }))).toBe(true);
    // Counted once the re-seed commits, a moment after verifiers can see the new epoch.
    await waitFor(async () => (await counter(service.registry, 'revocast_redis_reseeds_total{reason="epoch-changed"}')) === 1, 5000, 20);
  });

  it('reconciliation finds entries changed in Redis without its offset moving, counts them and repairs Redis, adopting what only Redis held', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    for (const jti of ['c1', 'c2']) await revoke(service, { type: 'token', jti, exp: inAnHour() });
    await revoke(service, { type: 'subject', sub: 'trent' });
    const keys = redisKeys(keyPrefix);
    await waitFor(async () => (await redis.zcard(keys.entries)) === 3);
    expect(await service.store.reconcile()).toEqual({ result: 'consistent', missing: 0, extra: 0, mismatched: 0 });

    await redis.zrem(keys.entries, 'jti:c1');
    await redis.zadd(keys.entries, Date.now() + 600_000, 'jti:never-revoked');
    await redis.hset(keys.cutoffs, 'trent', '1');
    const report = await service.store.reconcile();

    expect(report).toEqual({ result: 'repaired', missing: 1, extra: 1, mismatched: 1 });
    expect(await counter(service.registry, 'revocast_reconcile_differences_total{kind="missing"}')).toBe(1);
    expect(await counter(service.registry, 'revocast_redis_reseeds_total{reason="reconcile"}')).toBe(1);
    expect(service.storeLogs.find((line) => line.msg === 'Redis differs from the record; re-seeding it')).toMatchObject({
      missing: 1,
      extra: 1,
      mismatched: 1,
      sample: { missing: ['jti:c1'], extra: ['jti:never-revoked'], mismatched: ['sub:trent'] },
    });
    const late = await verifier(keyPrefix);
    expect(late.isRevoked({ jti: 'c1' })).toBe(true);
    // What only Redis held is not wiped: nothing but an audited reinstate un-revokes, so the record adopted it.
    expect(late.isRevoked({ jti: 'never-revoked' })).toBe(true);
    expect(await service.store.get('token', 'never-revoked')).toMatchObject({ revokedBy: 'unknown (adopted from Redis)' });
    expect(await counter(service.registry, 'revocast_redis_adopted_total')).toBe(1);
    expect(await service.store.reconcile()).toMatchObject({ result: 'consistent' });
  });

  it('adopts what a Redis-only deployment recorded when PostgreSQL is turned on', async () => {
    const keyPrefix = uniquePrefix();
    const before = await startService({ redisUrl: redisServer.url, keyPrefix });
    open.push(before);
    await revoke(before, { type: 'token', jti: 'legacy-token', exp: inAnHour(), sub: 'wendy' });
    await revoke(before, { type: 'subject', sub: 'walter' });
    const v = await verifier(keyPrefix);
    expect(v.isRevoked({ jti: 'legacy-token' })).toBe(true);
    const redisOnlyEpoch = v.status.epoch;
    await before.close();

    const service = await replica(keyPrefix);
    await waitFor(async () => (await service.store.counts()).token === 1, 3000, 20);
    expect(await service.store.counts()).toEqual({ token: 1, subject: 1, session: 0 });
    expect(await (await service.admin('/v1/revocations/token/legacy-token')).json()).toMatchObject({ sub: 'wendy' });
    // Redis was re-seeded from the record that now holds them, the offsets carrying on from Redis's: still revoked everywhere.
    await waitFor(() => v.status.epoch !== redisOnlyEpoch, 3000);
    expect(v.status.offset).toBe(2);
    expect(v.isRevoked({ jti: 'legacy-token' })).toBe(true);
    expect(v.isRevoked({ sub: 'walter', iat: 1 })).toBe(true);
  });

  it('answers lists, reinstates and repeats from the record, as the Redis store does', async () => {
    const keyPrefix = uniquePrefix();
    const service = await replica(keyPrefix);
    const v = await verifier(keyPrefix);
    expect((await revoke(service, { type: 'token', jti: 'l1', exp: inAnHour(), sub: 'peggy' })).status).toBe(201);
    expect((await revoke(service, { type: 'token', jti: 'l1', exp: inAnHour() - 60 })).status).toBe(200);
    expect((await revoke(service, { type: 'session', sid: 'l2', sub: 'peggy' })).status).toBe(201);
    expect((await revoke(service, { type: 'subject', sub: 'victor' })).status).toBe(201);

    const page1 = (await (await service.admin('/v1/revocations?limit=2')).json()) as { items: unknown[]; nextCursor: string };
    expect(page1.items).toHaveLength(2);
    const page2 = (await (await service.admin(`/v1/revocations?limit=2&cursor=${page1.nextCursor}`)).json()) as {
      items: unknown[];
      nextCursor: null;
    };
    expect(page2).toMatchObject({ nextCursor: null });
    expect(page2.items).toHaveLength(1);
    const peggy = (await (await service.admin('/v1/revocations?sub=peggy')).json()) as { items: Array<{ jti?: string; sid?: string }> };
    expect(peggy.items.map((item) => item.jti ?? item.sid)).toEqual(['l1', 'l2']);

    const reinstated = await service.admin('/v1/revocations/token/l1', { method: 'DELETE' });
    expect(reinstated.status).toBe(200);
    expect(await reinstated.json()).toMatchObject({ offset: 4 });
    await waitFor(() => !v.isRevoked({ jti: 'l1' }) && v.isRevoked({ sid: 'l2' }));
    expect((await service.admin('/v1/revocations/token/l1', { method: 'DELETE' })).status).toBe(404);
    expect(await service.store.counts()).toEqual({ token: 0, session: 1, subject: 1 });
  });
});
