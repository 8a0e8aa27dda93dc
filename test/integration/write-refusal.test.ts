import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { outcome, postgresStore, signToken, sql, startService, testVerifier, uniquePrefix, waitFor } from '../support/fixtures.js';
import { startRedisServer } from '../support/redis-server.js';
import { startRedisCluster, startRedisSentinel } from '../support/redis-topologies.js';

const BUDGET_S = 2;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** A way a Redis node keeps answering reads while it refuses every write, and how it is undone. */
interface Refusal {
  /** `keyBase` carries the keys' hash tag, so filler lands on the node that holds them. */
  refuse(node: Redis, keyBase: string): Promise<void>;
  accept(node: Redis): Promise<void>;
}

const atMaxmemory: Refusal = {
  async refuse(node, keyBase) {
    await node.config('SET', 'maxmemory-policy', 'noeviction');
    const used = async () => Number(/used_memory:(\d+)/.exec(await node.info('memory'))?.[1]);
    await node.config('SET', 'maxmemory', String((await used()) + 1024 * 1024));
    const chunk = 'x'.repeat(100_000);
    for (let i = 0; ; i++) {
      try {
        await node.set(`${keyBase}:filler:${i}`, chunk);
      } catch (err) {
        expect((err as Error).message).toMatch(/^OOM/);
        break;
      }
    }
    // Full: so that what Redis frees of its own buffers never lets a write slip through.
    await node.config('SET', 'maxmemory', String((await used()) - 256 * 1024));
  },
  async accept(node) {
    await node.config('SET', 'maxmemory', '0');
  },
};

/** More replicas required than the node has (none on the standalone and cluster nodes, one under Sentinel). */
const withoutReplicas: Refusal = {
  async refuse(node) {
    await node.config('SET', 'min-replicas-to-write', '5');
  },
  async accept(node) {
    await node.config('SET', 'min-replicas-to-write', '0');
  },
};

/**
 * PostgreSQL as the record: the revocation is acknowledged (committed) while
 * Redis refuses the outbox. The verifier reads an unchanged head, but the
 * record watermark stops advancing: it must fail closed within its budget,
 * never accept the token past it, and reject it as revoked once Redis takes
 * writes again.
 */
async function staysSafeWhileRedisRefusesWrites(
  redisUrl: string,
  owner: (keyPrefix: string) => Promise<string>,
  refusal: Refusal,
): Promise<void> {
  const keyPrefix = uniquePrefix();
  schemas.push(keyPrefix);
  const service = await startService({ store: postgresStore({ redisUrl, keyPrefix }) });
  // A generous command timeout: on a starved CPU a reply read late must not count as a failed read.
  const verifier = testVerifier({ redis: redisUrl, keyPrefix, maxStaleness: BUDGET_S, pollInterval: 0.1, commandTimeout: 5 });
  const node = new Redis(await owner(keyPrefix));
  node.on('error', () => {});
  try {
    await verifier.ready();
    const before = await signToken({ jti: 'before-refusal', exp: inAnHour() });
    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'before-refusal', exp: inAnHour() } })).status).toBe(201);
    await waitFor(async () => (await outcome(verifier, before)) === 'ERR_TOKEN_REVOKED' && verifier.status.state === 'ready', 10_000);

    await refusal.refuse(node, redisKeys(keyPrefix).meta);
    await expect(node.set(`${redisKeys(keyPrefix).meta}:probe`, '1')).rejects.toThrow(/OOM|NOREPLICAS/);

    const token = await signToken({ jti: 'during-refusal', exp: inAnHour() });
    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'during-refusal', exp: inAnHour() } })).status).toBe(201);
    const ackAt = Date.now();

    const late: Array<{ afterAckMs: number; status: unknown }> = [];
    await waitFor(
      async () => {
        const probedAt = Date.now();
        const answer = await outcome(verifier, token);
        if (answer === 'accepted' && probedAt - ackAt > BUDGET_S * 1000)
          late.push({ afterAckMs: probedAt - ackAt, status: verifier.status });
        // Redis never got it: only a stale list or an accept within the budget are possible.
        expect(['accepted', 'ERR_LIST_STALE']).toContain(answer);
        return answer === 'ERR_LIST_STALE';
      },
      30_000,
      20,
    );
    expect(late).toEqual([]);
    expect(verifier.status.stale).toBe(true);
    expect(await outcome(verifier, before)).toBe('ERR_LIST_STALE');

    await refusal.accept(node);
    await waitFor(async () => (await outcome(verifier, token)) === 'ERR_TOKEN_REVOKED', 60_000, 20);
    expect(verifier.status).toMatchObject({ state: 'ready', stale: false });
  } finally {
    await refusal.accept(node).catch(() => {});
    node.disconnect();
    await verifier.close();
    await service.close();
  }
}

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

describe('PostgreSQL as the record, Redis refusing writes but answering reads', () => {
  for (const [name, refusal] of [
    ['at maxmemory with noeviction', atMaxmemory],
    ['with min-replicas-to-write and no replica', withoutReplicas],
  ] as const) {
    it(`turns stale within its budget ${name}, never accepting what was revoked meanwhile, and recovers`, async () => {
      const server = await startRedisServer();
      try {
        await staysSafeWhileRedisRefusesWrites(server.url, async () => server.url, refusal);
      } finally {
        await server.stop();
      }
    }, 150_000);
  }

  it('does the same behind Sentinel, the master refusing writes', async () => {
    const topology = await startRedisSentinel();
    try {
      await staysSafeWhileRedisRefusesWrites(topology.url, async () => (await topology.master()).url, withoutReplicas);
    } finally {
      await topology.stop();
    }
  }, 150_000);

  it('does the same on a cluster, the shard that holds the keys refusing writes', async () => {
    const cluster = await startRedisCluster();
    try {
      await staysSafeWhileRedisRefusesWrites(
        cluster.url,
        async (keyPrefix) => (await cluster.ownerOf(redisKeys(keyPrefix).meta)).url,
        atMaxmemory,
      );
    } finally {
      await cluster.stop();
    }
  }, 150_000);
});
