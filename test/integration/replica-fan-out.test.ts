import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { RedisStore } from '@revocast/revocation-service';
import { startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import { command, startRedisSentinel, type RedisSentinelHandle } from '../support/redis-topologies.js';
import type { RedisHandle } from '../support/redis-server.js';

const BUDGET_S = 2;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/**
 * Verifiers that read and subscribe on the master's replicas
 * (`redis+sentinel://…?role=replica`), so delivery scales with the replicas
 * while writes stay on the master. A head read on a replica counts only
 * with the master's watermark, aged on the replica: a replica that lags,
 * is cut off or is killed turns its verifiers stale within the budget, and
 * they never accept a token revoked meanwhile past it.
 */
describe('verifiers on replicas', () => {
  let redis: RedisSentinelHandle;
  let service: ServiceHandle;
  let keyPrefix: string;
  const verifiers: Verifier[] = [];

  beforeAll(async () => {
    redis = await startRedisSentinel({ replicas: 2, downAfterMs: 1000 });
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((v) => v.close()));
    await service.close();
  });

  async function setUp(count: number): Promise<Verifier[]> {
    keyPrefix = uniquePrefix();
    const store = new RedisStore({
      redis: redis.url,
      keyPrefix,
      maxTokenTtlMs: 3_600_000,
      retentionGraceMs: 60_000,
      watermarkIntervalMs: 100,
    });
    service = await startService({ redisUrl: redis.url, keyPrefix, store });
    for (let i = 0; i < count; i++) {
      verifiers.push(
        testVerifier({
          redis: `${redis.url}?role=replica`,
          keyPrefix,
          maxStaleness: BUDGET_S,
          pollInterval: 0.1,
          commandTimeout: 0.5,
          heartbeatInterval: 0.5,
          id: `replica-reader-${i}`,
        }),
      );
    }
    await Promise.all(verifiers.map((v) => v.ready()));
    return verifiers;
  }

  /** Verifier connections on each data node, by connection name. */
  async function connections(node: RedisHandle): Promise<{ reads: number; presence: number }> {
    const list = String(await command(node.url, 'CLIENT', 'LIST'));
    const lines = list.split('\n');
    return {
      reads: lines.filter((line) => / name=revocast-verifier(-sub)? /.test(line)).length,
      presence: lines.filter((line) => line.includes(' name=revocast-verifier-presence ')).length,
    };
  }

  const revoke = (jti: string, query = '') => service.admin(`/v1/revocations${query}`, { body: { type: 'token', jti, exp: inAnHour() } });

  /**
   * Polls every verifier about `jti` until `until` holds, failing on any
   * accept later than the budget after `ackAt`.
   */
  async function neverAcceptedLate(jti: string, ackAt: number, until: () => boolean, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => {
      for (const v of verifiers) {
        if (v.status.stale || v.status.state !== 'ready') continue;
        if (!v.isRevoked({ jti }) && Date.now() - ackAt > BUDGET_S * 1000)
          throw new Error(`${v.status.id} accepted ${jti} ${Date.now() - ackAt} ms after it was acknowledged`);
      }
      return until();
    }, timeoutMs);
  }

  it('spreads the reads over the replicas, keeps the master for writes, and applies every change', async () => {
    await setUp(16);
    const master = await redis.master();
    const replicas = redis.servers.filter((s) => s !== master);
    const counts = await Promise.all(replicas.map(connections));
    // Each verifier reads on one replica (its command and subscriber connections); none reads on the master.
    expect(counts.reduce((sum, c) => sum + c.reads, 0)).toBe(32);
    for (const c of counts) expect(c.reads).toBeGreaterThan(0);
    expect((await connections(master)).reads).toBe(0);

    // wait=all: the service asks on the master, replicas deliver the request, acknowledgements go to the master.
    const res = await revoke('fan-out-1', '?wait=all&timeout=5s');
    expect(res.status).toBe(201);
    expect(((await res.json()) as { propagation?: { complete?: boolean } }).propagation?.complete).toBe(true);
    for (const v of verifiers) expect(v.isRevoked({ jti: 'fan-out-1' })).toBe(true);
    const listed = (await (await service.admin('/v1/verifiers')).json()) as { verifiers: unknown[] };
    expect(listed.verifiers).toHaveLength(16);
  });

  it('turns the verifiers of a replica cut off from its master stale within the budget, never current with old data', async () => {
    const [first] = await setUp(4);
    const master = await redis.master();
    const replicas = redis.servers.filter((s) => s !== master);
    // Cut both replicas off (replicating from a port nobody listens on): they still answer reads, with old data.
    for (const node of replicas) await command(node.url, 'REPLICAOF', '127.0.0.1', '1');
    try {
      const res = await revoke('while-cut-off');
      expect(res.status).toBe(201);
      const ackAt = Date.now();
      // The master's watermark stops reaching the replicas: every verifier turns stale, none accepts the token late.
      await neverAcceptedLate('while-cut-off', ackAt, () => verifiers.every((v) => v.status.stale), BUDGET_S * 1000 + 10_000);
      expect(() => first?.isRevoked({ jti: 'while-cut-off' })).toThrow(expect.objectContaining({ code: 'ERR_LIST_STALE' }));
    } finally {
      for (const node of replicas) await command(node.url, 'REPLICAOF', '127.0.0.1', String(master.port));
    }
    // Back in sync: current again, and the token is revoked everywhere.
    await neverAcceptedLate('while-cut-off', Date.now(), () =>
      verifiers.every((v) => !v.status.stale && v.isRevoked({ jti: 'while-cut-off' })),
    );
  });

  it('moves the verifiers of a killed replica to the other one, and stays fail-safe meanwhile', async () => {
    await setUp(12);
    const master = await redis.master();
    const [victim, survivor] = redis.servers.filter((s) => s !== master) as [RedisHandle, RedisHandle];
    expect((await connections(victim)).reads).toBeGreaterThan(0);
    await victim.kill();
    try {
      const res = await revoke('while-killed');
      expect(res.status).toBe(201);
      const ackAt = Date.now();
      // Every verifier ends up current on the replica that is left, rejecting the token; none accepted it late.
      await neverAcceptedLate(
        'while-killed',
        ackAt,
        () => verifiers.every((v) => !v.status.stale && v.isRevoked({ jti: 'while-killed' })),
        30_000,
      );
      // All of them read from the replica that is left now.
      expect((await connections(survivor)).reads).toBe(24);
    } finally {
      await redis.restart(victim);
    }
    await waitFor(async () => String(await command(victim.url, 'INFO', 'replication')).includes('master_link_status:up'), 20_000);
    const res = await revoke('after-restart');
    expect(res.status).toBe(201);
    await neverAcceptedLate('after-restart', Date.now(), () => verifiers.every((v) => v.isRevoked({ jti: 'after-restart' })));
  }, 90_000);
});
