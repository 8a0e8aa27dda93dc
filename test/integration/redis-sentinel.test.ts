import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { postgresStore, sql, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import { command, startRedisSentinel, type RedisSentinelHandle } from '../support/redis-topologies.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('Redis Sentinel: a master, a replica and three Sentinels', () => {
  let topology: RedisSentinelHandle;
  const schemas: string[] = [];
  const open: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    topology = await startRedisSentinel();
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
  });
  afterAll(async () => {
    await topology?.stop();
    for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  async function verifiers(keyPrefix: string, count: number): Promise<Verifier[]> {
    const list = Array.from({ length: count }, () =>
      testVerifier({ redis: topology.url, keyPrefix, commandTimeout: 0.5, maxStaleness: 30 }),
    );
    open.push(...list);
    await Promise.all(list.map((v) => v.ready()));
    return list;
  }

  it('follows a forced failover in the middle of a revocation stream, losing nothing acknowledged', async () => {
    const keyPrefix = uniquePrefix();
    schemas.push(keyPrefix);
    const service = await startService({ store: postgresStore({ redisUrl: topology.url, keyPrefix }) });
    open.push(service);
    const [first, second] = await verifiers(keyPrefix, 2);
    const oldMaster = await topology.master();

    const acknowledged: string[] = [];
    let failover: Promise<unknown> | undefined;
    for (let i = 0; i < 120; i++) {
      if (i === 30) failover = topology.failover();
      const jti = `stream-${i}`;
      const res = await service.admin('/v1/revocations', { body: { type: 'token', jti, exp: inAnHour() } });
      if (res.status === 201) acknowledged.push(jti);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const newMaster = await failover;
    expect(newMaster).not.toBe(oldMaster);
    // With PostgreSQL as the record, Redis being away never refuses a revocation.
    expect(acknowledged).toHaveLength(120);

    for (const v of [first, second] as Verifier[]) {
      await waitFor(() => acknowledged.every((jti) => v.isRevoked({ jti })), 15_000, 20);
      expect(v.status.state).toBe('ready');
    }
    // The promoted master holds every one of them.
    expect(Number(await command((await topology.master()).url, 'ZCARD', redisKeys(keyPrefix).entries))).toBe(120);
  });

  it('without a durable record, the service and the verifiers follow the new master by themselves', async () => {
    const keyPrefix = uniquePrefix();
    const service: ServiceHandle = await startService({ redisUrl: topology.url, keyPrefix });
    open.push(service);
    const [v] = await verifiers(keyPrefix, 1);
    const revoke = (jti: string) => service.admin('/v1/revocations', { body: { type: 'token', jti, exp: inAnHour() } });
    expect((await revoke('before-failover')).status).toBe(201);
    await waitFor(() => v!.isRevoked({ jti: 'before-failover' }));
    // The replica has it (WAIT), as a careful operator makes sure before a planned failover.
    const master = await topology.master();
    await waitFor(async () => Number(await command(master.url, 'WAIT', 1, 500)) === 1, 20_000, 100);

    const promoted = await topology.failover();
    await waitFor(async () => (await revoke('after-failover')).status === 201, 10_000, 100);
    await waitFor(() => v!.isRevoked({ jti: 'after-failover' }), 10_000, 20);
    expect(v!.isRevoked({ jti: 'before-failover' })).toBe(true);
    expect(Number(await command(promoted.url, 'ZSCORE', redisKeys(keyPrefix).entries, 'jti:after-failover'))).toBeGreaterThan(0);
  });
});
