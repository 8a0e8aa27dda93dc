import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { openRedisAdminState, type AdminState } from '@revocast/revocation-service';
import { uniquePrefix } from '../support/fixtures.js';
import { command, startRedisCluster, type RedisClusterHandle } from '../support/redis-topologies.js';

/**
 * On Redis Cluster the shared admin state works like on one server: its keys
 * carry the prefix's hash tag, so they sit on the same shard as the
 * revocation keys, and two connections (two replicas) see the same buckets
 * and sessions.
 */
describe('the shared admin state on Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  const open: AdminState[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    for (const state of open) await state.close();
    await cluster?.stop();
  });

  it('shares buckets and sessions between two connections, every key on the shard of the revocation keys', async () => {
    const keyPrefix = uniquePrefix();
    const [a, b] = [openRedisAdminState({ redis: cluster.url, keyPrefix }), openRedisAdminState({ redis: cluster.url, keyPrefix })] as [
      AdminState,
      AdminState,
    ];
    open.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    const limit = { requests: 2, perMs: 3_600_000 };
    const waits = [];
    for (const state of [a, b, a, b]) waits.push((await state.buckets.take('rateLimit', 'ops', limit)).waitMs);
    expect(waits.map((w) => w > 0)).toEqual([false, false, true, true]);
    expect((await b.buckets.take('authFailures', '10.0.0.1', limit)).waitMs).toBe(0);

    const session = await a.sessions.create('ops', new Set(['read', 'revoke']));
    expect((await b.sessions.get(session.id))?.actor).toBe('ops');
    await b.sessions.setFlash(session.id, { kind: 'ok', text: 'done' });
    expect(await a.sessions.takeFlash(session.id)).toEqual({ kind: 'ok', text: 'done' });
    await a.sessions.delete(session.id);
    expect(await b.sessions.get(session.id)).toBeUndefined();

    const keys = redisKeys(keyPrefix);
    const slot = (key: string) => command(cluster.nodes[0]!.url, 'CLUSTER', 'KEYSLOT', key);
    const metaSlot = await slot(keys.meta);
    for (const key of [keys.rateLimit('ops'), keys.authFailures('10.0.0.1'), keys.consoleSession('ab')])
      expect(await slot(key)).toBe(metaSlot);
  }, 30_000);
});
