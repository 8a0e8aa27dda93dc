import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { redisKeys, type SyncSource } from '@revocast/verifier-sdk/protocol';
import { NO_METRICS } from '../../../verifier-sdk/src/metrics/verifier-metrics.js';
import { RedisSource } from '../../../verifier-sdk/src/sync/redis-source.js';
import { SyncEngine } from '../../../verifier-sdk/src/sync/sync-engine.js';
import { startService, uniquePrefix, waitFor, type ServiceHandle } from '../../support/fixtures.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const redisUrl = inject('redisUrl');

describe('sync engine against a real Redis', () => {
  let keyPrefix: string;
  let service: ServiceHandle;
  let engine: SyncEngine | undefined;
  let redis: Redis;
  const events = { reloads: [] as string[], catchUps: 0, invalid: 0 };

  beforeEach(async () => {
    keyPrefix = uniquePrefix();
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
    events.reloads = [];
    events.catchUps = 0;
    events.invalid = 0;
  });
  afterEach(async () => {
    await engine?.close();
    redis.disconnect();
    await service.close();
  });

  /** A source whose subscription delivers nothing, as a silently dead one would. */
  function source(deaf: boolean): SyncSource {
    const real = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 1000, logger: quiet });
    if (!deaf) return real;
    return {
      subscribe: (_onMessage, onResubscribed) => real.subscribe(() => {}, onResubscribed),
      head: () => real.head(),
      snapshot: (onEntries) => real.snapshot(onEntries),
      readAfter: (streamId, count) => real.readAfter(streamId, count),
      close: () => real.close(),
    };
  }

  async function startEngine(options: { deaf: boolean; pollIntervalMs: number }): Promise<SyncEngine> {
    engine = new SyncEngine({
      source: source(options.deaf),
      clock: Date.now,
      toleranceMs: 5000,
      pollIntervalMs: options.pollIntervalMs,
      maxStalenessMs: 30_000,
      logger: quiet,
      metrics: {
        ...NO_METRICS,
        reload: (reason) => void events.reloads.push(reason),
        catchUp: () => void events.catchUps++,
        invalidMessage: () => void events.invalid++,
      },
      onStateChange: () => {},
    });
    engine.start();
    await engine.ready();
    return engine;
  }

  const revoke = (jti: string) =>
    service.admin('/v1/revocations', { body: { type: 'token', jti, exp: Math.floor(Date.now() / 1000) + 3600 } });

  it('notices changes through the liveness poll when the subscription delivers nothing', async () => {
    const sync = await startEngine({ deaf: true, pollIntervalMs: 100 });
    await revoke('unheard');
    // Deaf to pub/sub: only the poll can have brought it (how soon depends on the machine's load, not asserted).
    await waitFor(() => sync.list.check({ jti: 'unheard' }) === 'jti', 15_000);
    expect(events.catchUps).toBeGreaterThan(0);
  });

  it('reloads everything when the stream no longer holds what it missed', async () => {
    const sync = await startEngine({ deaf: true, pollIntervalMs: 60_000 });
    for (const jti of ['t1', 't2', 't3']) await revoke(jti);
    await redis.xtrim(redisKeys(keyPrefix).log, 'MAXLEN', 0);
    await sync.checkNow();
    expect(events.reloads).toEqual(['start', 'history-trimmed']);
    expect(['t1', 't2', 't3'].map((jti) => sync.list.check({ jti }))).toEqual(['jti', 'jti', 'jti']);
    expect(sync.position.offset).toBe(3);
  });

  it('reloads when the head offset goes backwards in the same epoch', async () => {
    const sync = await startEngine({ deaf: false, pollIntervalMs: 60_000 });
    await revoke('a');
    await revoke('b');
    await waitFor(() => sync.position.offset === 2);
    await redis.hset(redisKeys(keyPrefix).meta, 'offset', '1');
    await sync.checkNow();
    expect(events.reloads).toContain('offset-regressed');
  });

  it('keeps its list while Redis holds no history, and reloads once the service starts a new one', async () => {
    const sync = await startEngine({ deaf: false, pollIntervalMs: 60_000 });
    await revoke('before-loss');
    await waitFor(() => sync.position.offset === 1);
    const confirmedBefore = sync.lastConfirmedAt;
    const keys = redisKeys(keyPrefix);
    // What a restart without persistence or a flush does to this prefix.
    await redis.del(keys.meta, keys.entries, keys.cutoffs, keys.details, keys.log, keys.bySub);

    await sync.checkNow();
    expect(sync.list.check({ jti: 'before-loss' })).toBe('jti');
    expect(sync.lastConfirmedAt).toBe(confirmedBefore);
    expect(events.reloads).toEqual(['start']);

    // The service's pruner starts an empty history in Redis; the verifier follows it.
    await service.store.prune(Date.now());
    await sync.checkNow();
    expect(events.reloads).toEqual(['start', 'epoch-changed']);
    expect(sync.list.check({ jti: 'before-loss' })).toBe('ok');
    expect(sync.lastConfirmedAt).toBeGreaterThan(confirmedBefore);
  });

  it('ignores and counts a malformed message, then checks the stream', async () => {
    const sync = await startEngine({ deaf: false, pollIntervalMs: 60_000 });
    await redis.publish(redisKeys(keyPrefix).channel, 'not a revocast message');
    await revoke('after-garbage');
    await waitFor(() => sync.list.check({ jti: 'after-garbage' }) === 'jti');
    expect(events.invalid).toBe(1);
  });

  it('applies live messages in order without reading the stream', async () => {
    const sync = await startEngine({ deaf: false, pollIntervalMs: 60_000 });
    for (let i = 0; i < 50; i++) await revoke(`live-${i}`);
    await waitFor(() => sync.position.offset === 50);
    expect(events.catchUps).toBe(0);
    expect(events.reloads).toEqual(['start']);
  });
});
