import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import {
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
import { command, startRedisCluster, type RedisClusterHandle } from '../support/redis-topologies.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('Redis Cluster: three masters', () => {
  let cluster: RedisClusterHandle;
  const schemas: string[] = [];
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });
  afterAll(async () => {
    await cluster?.stop();
    for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  async function verifiers(keyPrefix: string, count: number): Promise<Verifier[]> {
    const list = Array.from({ length: count }, () => testVerifier({ redis: cluster.url, keyPrefix, commandTimeout: 0.5 }));
    open.push(...list);
    await Promise.all(list.map((v) => v.ready()));
    return list;
  }

  const revoke = (service: ServiceHandle, body: Record<string, unknown>) => service.admin('/v1/revocations', { body });

  it('carries every kind of revocation to every verifier on sharded pub/sub, all keys on one shard', async () => {
    const keyPrefix = uniquePrefix();
    const service = await startService({ redisUrl: cluster.url, keyPrefix });
    open.push(service);
    const list = await verifiers(keyPrefix, 2);
    const keys = redisKeys(keyPrefix);
    const owner = await cluster.ownerOf(keys.meta);
    // Both verifiers listen on the shard that owns the hash tag, with SSUBSCRIBE, not SUBSCRIBE.
    expect(await command(owner.url, 'PUBSUB', 'SHARDNUMSUB', keys.channel)).toEqual([keys.channel, 2]);
    expect(await command(owner.url, 'PUBSUB', 'NUMSUB', keys.channel)).toEqual([keys.channel, 0]);

    expect((await revoke(service, { type: 'token', jti: 'c-token', exp: inAnHour() })).status).toBe(201);
    expect((await revoke(service, { type: 'subject', sub: 'c-user' })).status).toBe(201);
    expect((await revoke(service, { type: 'session', sid: 'c-session' })).status).toBe(201);
    const tokens = [
      await signToken({ jti: 'c-token' }),
      await signToken({ sub: 'c-user', iat: Date.now() / 1000 - 5 }),
      await signToken({ sid: 'c-session' }),
    ];
    for (const v of list) {
      await waitFor(() => v.status.offset === 3, 3000);
      for (const token of tokens) expect(await outcome(v, token)).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(v, await signToken())).toBe('accepted');
    }
    for (const key of [keys.meta, keys.entries, keys.cutoffs, keys.log, keys.details]) {
      expect(await command(owner.url, 'EXISTS', key)).toBe(1);
    }
  });

  it('a verifier whose sharded subscription is killed catches up and subscribes again', async () => {
    const keyPrefix = uniquePrefix();
    const service = await startService({ redisUrl: cluster.url, keyPrefix });
    open.push(service);
    const [v] = await verifiers(keyPrefix, 1);
    const keys = redisKeys(keyPrefix);
    const owner = await cluster.ownerOf(keys.meta);
    const jtis = Array.from({ length: 40 }, (_, i) => `sharded-${i}`);
    for (const [i, jti] of jtis.entries()) {
      if (i % 10 === 0) await command(owner.url, 'CLIENT', 'KILL', 'TYPE', 'pubsub');
      expect((await revoke(service, { type: 'token', jti, exp: inAnHour() })).status).toBe(201);
    }
    await waitFor(() => jtis.every((jti) => v!.isRevoked({ jti })), 5000, 20);
    await waitFor(async () => ((await command(owner.url, 'PUBSUB', 'SHARDNUMSUB', keys.channel)) as [string, number])[1] === 1, 5000, 50);
    expect(v!.status.state).toBe('ready');
  });

  it('keeps the projection of the PostgreSQL record on the cluster and re-seeds the shard that lost it', async () => {
    const keyPrefix = uniquePrefix();
    schemas.push(keyPrefix);
    const service = await startService({ store: postgresStore({ redisUrl: cluster.url, keyPrefix }) });
    open.push(service);
    const [v] = await verifiers(keyPrefix, 1);
    for (const jti of ['p1', 'p2']) expect((await revoke(service, { type: 'token', jti, exp: inAnHour() })).status).toBe(201);
    await waitFor(() => v!.status.offset === 2, 3000);
    const epoch = v!.status.epoch;
    const owner = await cluster.ownerOf(redisKeys(keyPrefix).meta);

    await command(owner.url, 'FLUSHALL');
    await waitFor(() => v!.status.epoch !== epoch && v!.status.epoch !== null, 5000, 20);
    expect(v!.isRevoked({ jti: 'p1' }) && v!.isRevoked({ jti: 'p2' })).toBe(true);
    expect((await revoke(service, { type: 'token', jti: 'p3', exp: inAnHour() })).status).toBe(201);
    await waitFor(() => v!.isRevoked({ jti: 'p3' }), 3000);
  });
});
