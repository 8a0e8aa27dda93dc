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
  const events = { reloads: [] as string[], catchUps: 0, invalid: 0, undecodable: 0, errors: [] as string[] };

  beforeEach(async () => {
    keyPrefix = uniquePrefix();
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
    events.reloads = [];
    events.catchUps = 0;
    events.invalid = 0;
    events.undecodable = 0;
    events.errors = [];
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

  async function startEngine(options: {
    deaf: boolean;
    pollIntervalMs: number;
    maxStalenessMs?: number;
    source?: SyncSource;
  }): Promise<SyncEngine> {
    engine = new SyncEngine({
      source: options.source ?? source(options.deaf),
      clock: Date.now,
      toleranceMs: 5000,
      pollIntervalMs: options.pollIntervalMs,
      maxStalenessMs: options.maxStalenessMs ?? 30_000,
      logger: { ...quiet, error: (_fields: object, message: string) => void events.errors.push(message) },
      metrics: {
        ...NO_METRICS,
        reload: (reason) => void events.reloads.push(reason),
        catchUp: () => void events.catchUps++,
        invalidMessage: () => void events.invalid++,
        undecodableChange: () => void events.undecodable++,
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

  /** Writes a change no verifier can decode, the way the writers append and publish one. Returns its offset and stream id. */
  async function appendUndecodable(): Promise<{ offset: number; streamId: string }> {
    const keys = redisKeys(keyPrefix);
    const epoch = (await redis.hget(keys.meta, 'epoch')) as string;
    const offset = await redis.hincrby(keys.meta, 'offset', 1);
    const change = JSON.stringify({ op: 'revoke', type: 'token', id: '😀'.repeat(129), at: Date.now(), pruneAt: Date.now() + 600_000 });
    const streamId = (await redis.xadd(keys.log, '*', 'e', epoch, 'o', String(offset), 'c', change)) as string;
    await redis.hset(keys.meta, 'last_id', streamId);
    await redis.publish(keys.channel, `${epoch}:${offset}:${streamId}:${change}`);
    return { offset, streamId };
  }

  it('stops before a change it cannot decode, counts and logs it once, never reloads over it, and turns stale', async () => {
    const sync = await startEngine({ deaf: false, pollIntervalMs: 50, maxStalenessMs: 1000 });
    await revoke('before-poison');
    await waitFor(() => sync.list.check({ jti: 'before-poison' }) === 'jti');
    const poison = await appendUndecodable();
    await revoke('after-poison');

    await waitFor(() => sync.state === 'stale', 15_000, 20);
    for (let i = 0; i < 5; i++) await sync.checkNow();
    expect(sync.position.offset, 'it does not advance past the change').toBe(poison.offset - 1);
    expect(sync.list.check({ jti: 'after-poison' }), 'nor applies what follows it').toBe('ok');
    expect(sync.list.check({ jti: 'before-poison' })).toBe('jti');
    expect(events.reloads, 'no reload, let alone one per poll').toEqual(['start']);
    expect(events.undecodable).toBe(1);
    expect(events.errors.filter((line) => line.includes('cannot decode'))).toHaveLength(1);

    // Once the history no longer holds it (trimmed, or replaced), the verifier follows again.
    await redis.xdel(redisKeys(keyPrefix).log, poison.streamId);
    // checkNow does nothing while a poll is running: ask until one ran.
    await waitFor(
      async () => {
        await sync.checkNow();
        return sync.state === 'ready';
      },
      15_000,
      20,
    );
    expect(sync.list.check({ jti: 'after-poison' })).toBe('jti');
  });

  it('a verifier whose first load meets an undecodable change loads what precedes it, unconfirmed, and does not reload again', async () => {
    await revoke('first');
    const keys = redisKeys(keyPrefix);
    const before = {
      epoch: (await redis.hget(keys.meta, 'epoch')) as string,
      offset: 1,
      streamId: (await redis.hget(keys.meta, 'last_id')) as string,
    };
    await appendUndecodable();
    await revoke('later');
    // A snapshot taken just before the undecodable change: the replay that follows meets it.
    const real = source(false);
    const early: SyncSource = {
      ...real,
      subscribe: real.subscribe.bind(real),
      head: () => real.head(),
      readAfter: (id, n) => real.readAfter(id, n),
      close: () => real.close(),
      snapshot: async (onEntries) => {
        await real.snapshot(() => {});
        onEntries([{ type: 'token', id: 'first', pruneAt: Date.now() + 600_000 }]);
        return before;
      },
    };
    const sync = await startEngine({ deaf: false, pollIntervalMs: 50, source: early });
    for (let i = 0; i < 5; i++) await sync.checkNow();
    expect(sync.isStale(Date.now()), 'never confirmed: it fails closed').toBe(true);
    expect(sync.list.check({ jti: 'first' })).toBe('jti');
    expect(sync.list.check({ jti: 'later' })).toBe('ok');
    expect(events.reloads).toEqual(['start']);
    expect(events.undecodable).toBe(1);
  });

  it('applies live messages in order without reading the stream', async () => {
    const sync = await startEngine({ deaf: false, pollIntervalMs: 60_000 });
    for (let i = 0; i < 50; i++) await revoke(`live-${i}`);
    await waitFor(() => sync.position.offset === 50);
    expect(events.catchUps).toBe(0);
    expect(events.reloads).toEqual(['start']);
  });
});
