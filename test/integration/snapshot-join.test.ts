import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createRevocationMirror, type RevocationMirror, type Verifier } from '@revocast/verifier-sdk';
import { redisKeys, type SyncSource } from '@revocast/verifier-sdk/protocol';
import { createLogger } from '@revocast/revocation-service';
import { RedisSource } from '../../verifier-sdk/src/sync/redis-source.js';
import { SnapshotWriter } from '../../revocation-service/src/snapshot/snapshot-writer.js';
import { startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';

const redisUrl = inject('redisUrl');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/**
 * Joining from the compact snapshot: a verifier loads the whole list in a
 * few bulk reads, replays the stream from the snapshot's position, and holds
 * exactly what a verifier that read every entry holds. A snapshot that does
 * not fit the history it reads (another epoch, ahead of the head, damaged,
 * a chunk gone, a stream trimmed past it) is never trusted: it scans.
 */
describe('joining from the compact snapshot', () => {
  let service: ServiceHandle;
  let keyPrefix: string;
  let redis: Redis;
  let mirror: RevocationMirror;
  let writer: SnapshotWriter;
  const verifiers: Verifier[] = [];
  /** Ids revoked through the batch endpoint, by type. */
  const ids = { token: [] as string[], session: [] as string[], subject: [] as string[] };
  let cutoffs: Map<string, number>;

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(() => redis.disconnect());

  beforeEach(async () => {
    keyPrefix = uniquePrefix();
    service = await startService({ redisUrl, keyPrefix });
    ids.token = [];
    ids.session = [];
    ids.subject = [];
    const items: unknown[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 10 === 0) {
        ids.session.push(`sess-${i}`);
        items.push({ type: 'session', sid: `sess-${i}` });
      } else if (i % 10 === 1) {
        ids.subject.push(`user-${i}`);
        items.push({ type: 'subject', sub: `user-${i}` });
      } else {
        ids.token.push(`tok-${i}`);
        items.push({ type: 'token', jti: `tok-${i}`, exp: inAnHour() });
      }
    }
    expect((await service.admin('/v1/revocations/batch', { body: { items } })).status).toBe(201);
    const stored = await redis.hgetall(redisKeys(keyPrefix).cutoffs);
    cutoffs = new Map(Object.entries(stored).map(([sub, ms]) => [sub, Number(ms)]));
    mirror = createRevocationMirror({ redis: redisUrl, keyPrefix, logger: quiet });
    await mirror.ready();
    writer = new SnapshotWriter({ redis, keyPrefix, mirror, logger: createLogger('silent'), everyChanges: 1_000_000, everyMs: 3_600_000 });
    await waitFor(async () => mirror.position.offset === Number(await redis.hget(redisKeys(keyPrefix).meta, 'offset')));
    expect(await writer.writeNow()).toBe('written');
  });

  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((v) => v.close()));
    await writer.close();
    await mirror.close();
    await service.close();
  });

  /** A verifier whose 'revocation list loaded' line says how it loaded. */
  async function join(source?: SyncSource): Promise<{ verifier: Verifier; from: unknown; warnings: string[] }> {
    const loaded: Array<Record<string, unknown>> = [];
    const warnings: string[] = [];
    const logger = {
      ...quiet,
      info: (fields: object, msg?: string) => {
        if (msg === 'revocation list loaded') loaded.push(fields as Record<string, unknown>);
      },
      warn: (_fields: object, msg?: string) => void warnings.push(msg ?? ''),
    };
    const verifier = source === undefined ? testVerifier({ redis: redisUrl, keyPrefix, logger }) : testVerifier({ source, logger });
    verifiers.push(verifier);
    await verifier.ready();
    return { verifier, from: loaded[0]?.from, warnings };
  }

  /** A verifier that can only scan: the reference every snapshot join must equal. */
  function scanOnly(): SyncSource {
    const real = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 2000, logger: quiet });
    return {
      subscribe: (onMessage, onResubscribed) => real.subscribe(onMessage, onResubscribed),
      head: () => real.head(),
      snapshot: (onEntries) => real.snapshot(onEntries),
      readAfter: (streamId, count) => real.readAfter(streamId, count),
      close: () => real.close(),
    };
  }

  function expectHoldsEveryRevocation(verifier: Verifier, except: readonly string[] = []): void {
    for (const jti of ids.token) expect(verifier.isRevoked({ jti }), jti).toBe(!except.includes(jti));
    for (const sid of ids.session) expect(verifier.isRevoked({ sid })).toBe(true);
    for (const sub of ids.subject) {
      const cutoff = cutoffs.get(sub) as number;
      // The cutoff to the millisecond: issued at it is revoked, a millisecond later is not.
      expect(verifier.isRevoked({ sub, iat: cutoff / 1000 })).toBe(true);
      expect(verifier.isRevoked({ sub, iat: (cutoff + 1) / 1000 })).toBe(false);
    }
  }

  it('loads the list from the snapshot, replays what came after it, and holds what a scanning verifier holds', async () => {
    // After the snapshot: a revocation, a reinstate of something in it, a subject.
    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'after-snapshot', exp: inAnHour() } })).status).toBe(201);
    expect((await service.admin('/v1/revocations/token/tok-7', { method: 'DELETE' })).status).toBe(200);

    const { verifier, from } = await join();
    expect(from).toBe('snapshot');
    expectHoldsEveryRevocation(verifier, ['tok-7']);
    expect(verifier.isRevoked({ jti: 'after-snapshot' })).toBe(true);

    const reference = await join(scanOnly());
    expect(reference.from).toBe('scan');
    expect(verifier.status.entries).toEqual(reference.verifier.status.entries);
    expect(verifier.status.offset).toBe(reference.verifier.status.offset);
  });

  it('scans when the stream no longer continues from the snapshot (trimmed past it)', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: `later-${i}`, exp: inAnHour() } })).status).toBe(201);
    }
    const keys = redisKeys(keyPrefix);
    // Trim as the age-based trimming would, to the last entry: the changes right after the snapshot are gone.
    const [[lastId]] = (await redis.xrevrange(keys.log, '+', '-', 'COUNT', 1)) as [[string, string[]]];
    await redis.xtrim(keys.log, 'MINID', lastId);

    const { verifier, from, warnings } = await join();
    expect(warnings).toContain('the stream does not continue from the compact snapshot; reading every entry instead');
    expect(from).toBe('scan');
    expectHoldsEveryRevocation(verifier);
    for (let i = 0; i < 5; i++) expect(verifier.isRevoked({ jti: `later-${i}` })).toBe(true);
  });

  it.each([
    [
      'of another epoch',
      async (keys: ReturnType<typeof redisKeys>) => void (await redis.hset(keys.snapshot, 'epoch', 'fedcba9876543210fedcba9876543210')),
    ],
    ['ahead of the head', async (keys: ReturnType<typeof redisKeys>) => void (await redis.hincrby(keys.snapshot, 'offset', 5))],
    ['of an unknown format', async (keys: ReturnType<typeof redisKeys>) => void (await redis.hset(keys.snapshot, 'format', '99'))],
    [
      'with a damaged chunk',
      async (keys: ReturnType<typeof redisKeys>) => {
        const id = (await redis.hget(keys.snapshot, 'id')) as string;
        await redis.setrange(keys.snapshotChunk(id, 0), 40, 'damage');
      },
    ],
    [
      'with a chunk gone',
      async (keys: ReturnType<typeof redisKeys>) => {
        const id = (await redis.hget(keys.snapshot, 'id')) as string;
        await redis.del(keys.snapshotChunk(id, 0));
      },
    ],
    [
      'whose checksum does not match its chunks',
      async (keys: ReturnType<typeof redisKeys>) => void (await redis.hset(keys.snapshot, 'sha256', '0'.repeat(64))),
    ],
    ['with a malformed manifest', async (keys: ReturnType<typeof redisKeys>) => void (await redis.hset(keys.snapshot, 'sha256', 'nope'))],
  ])('scans instead of trusting a snapshot %s', async (_name, spoil) => {
    await spoil(redisKeys(keyPrefix));
    const { verifier, from } = await join();
    expect(from).toBe('scan');
    expectHoldsEveryRevocation(verifier);
  });

  it('keeps only the newest snapshot, and only one of the history Redis holds', async () => {
    const keys = redisKeys(keyPrefix);
    const first = await redis.hgetall(keys.snapshot);
    // Nothing changed: a second writer's snapshot of the same position is not newer.
    const other = new SnapshotWriter({ redis, keyPrefix, mirror, logger: createLogger('silent'), everyChanges: 1, everyMs: 1 });
    expect(await other.writeNow()).toBe('not-newer');
    expect(await redis.hgetall(keys.snapshot)).toEqual(first);

    expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: 'one-more', exp: inAnHour() } })).status).toBe(201);
    await waitFor(() => mirror.position.offset === Number(first.offset) + 1);
    expect(await other.writeNow()).toBe('written');
    const second = await redis.hgetall(keys.snapshot);
    expect(Number(second.offset)).toBe(Number(first.offset) + 1);
    // The replaced snapshot's chunks expire after a grace period; the current one's do not.
    expect(await redis.pttl(keys.snapshotChunk(first.id as string, 0))).toBeGreaterThan(0);
    expect(await redis.pttl(keys.snapshotChunk(second.id as string, 0))).toBe(-1);
    await other.close();
  });
});

describe('the service writing the compact snapshot by itself', () => {
  it('writes one soon after changes, at the head, and a joining verifier loads from it', async () => {
    const redis = new Redis(redisUrl);
    const keyPrefix = uniquePrefix();
    const keys = redisKeys(keyPrefix);
    const service = await startService({ redisUrl, keyPrefix, snapshotInterval: '100ms' });
    let verifier: Verifier | undefined;
    try {
      for (let i = 0; i < 20; i++) {
        expect((await service.admin('/v1/revocations', { body: { type: 'token', jti: `auto-${i}`, exp: inAnHour() } })).status).toBe(201);
      }
      const head = Number(await redis.hget(keys.meta, 'offset'));
      await waitFor(async () => Number(await redis.hget(keys.snapshot, 'offset')) === head, 10_000, 20);
      expect(await redis.hget(keys.snapshot, 'tokens')).toBe('20');

      let from: unknown;
      verifier = testVerifier({
        redis: redisUrl,
        keyPrefix,
        logger: {
          ...quiet,
          info: (fields: object, msg?: string) => {
            if (msg === 'revocation list loaded') from = (fields as { from?: unknown }).from;
          },
        },
      });
      await verifier.ready();
      expect(from).toBe('snapshot');
      for (let i = 0; i < 20; i++) expect(verifier.isRevoked({ jti: `auto-${i}` })).toBe(true);

      const metrics = await (await service.admin('/metrics')).text();
      expect(metrics).toMatch(/revocast_snapshot_writes_total\{result="written"\} [1-9]/);
      expect(metrics).toMatch(/revocast_snapshot_entries 20/);
    } finally {
      await verifier?.close();
      await service.close();
      redis.disconnect();
    }
  });
});
