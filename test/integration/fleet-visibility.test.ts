import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { encodeReport, redisKeys, type VerifierReport } from '@revocast/verifier-sdk/protocol';
import { MemoryFleet, RedisFleet } from '@revocast/revocation-service';
import { freePort } from '../support/redis-server.js';
import { memoryStore, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const sdkVersion = (JSON.parse(readFileSync('verifier-sdk/package.json', 'utf8')) as { version: string }).version;

interface Listing {
  head: { epoch: string | null; offset: number };
  verifiers: Array<{
    id: string;
    host: string;
    sdkVersion: string;
    state: string;
    offset: number;
    lastSyncAt: string | null;
    lag: { offsets: number | null; seconds: number | null };
  }>;
  summary: { live: number; current: number; behind: number; stale: number };
}

interface Propagation {
  applied: number;
  total: number;
  ms: number;
  complete: boolean;
  pending: string[];
  message: string;
}

describe('propagation you can see, over Redis', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  const keys = redisKeys(keyPrefix);
  let service: ServiceHandle;
  let redis: Redis;
  let verifiers: Verifier[];

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
    // Heartbeats far apart: a prompt wait=all can only come from acknowledgements.
    verifiers = ['web-1', 'web-2'].map((id) => testVerifier({ redis: redisUrl, keyPrefix, id, heartbeatInterval: 60 }));
    await Promise.all(verifiers.map((v) => v.ready()));
  });
  afterAll(async () => {
    await Promise.all(verifiers.map((v) => v.close()));
    redis.disconnect();
    await service.close();
  });

  async function listing(): Promise<Listing> {
    const res = await service.admin('/v1/verifiers');
    expect(res.status).toBe(200);
    return (await res.json()) as Listing;
  }

  /** A report no live verifier stands behind: it never acknowledges and expires after `ttlMs`. */
  async function ghost(id: string, offset: number, ttlMs: number): Promise<void> {
    const head = (await listing()).head;
    const report: VerifierReport = {
      id,
      host: 'gone-host',
      sdkVersion: '0.0.1',
      state: 'ready',
      epoch: head.epoch,
      offset,
      streamId: '0-0',
      lastSyncAt: Date.now() - 5000,
      startedAt: Date.now() - 60_000,
      reportedAt: Date.now(),
      heartbeatMs: 1000,
    };
    await redis.set(keys.verifier(id), encodeReport(report), 'PX', ttlMs);
    await redis.zadd(keys.verifiers, Date.now() + ttlMs, id);
  }

  it('lists each live verifier with its id, host, SDK version, position and last sync', async () => {
    await waitFor(async () => (await listing()).verifiers.length === 2, 15_000, 20);
    const { verifiers: listed, summary } = await listing();
    expect(listed.map((v) => v.id)).toEqual(['web-1', 'web-2']);
    for (const v of listed) {
      expect(v).toMatchObject({ host: hostname(), sdkVersion, state: 'ready', lag: { offsets: 0, seconds: 0 } });
      expect(Date.parse(v.lastSyncAt as string)).toBeGreaterThan(Date.now() - 60_000);
    }
    expect(summary).toEqual({ live: 2, current: 2, behind: 0, stale: 0 });
  });

  it('answers wait=all once every live verifier has applied the change, long before a heartbeat', async () => {
    const res = await service.admin('/v1/revocations?wait=all&timeout=15s', {
      body: { type: 'subject', sub: 'mallory', reason: 'stolen laptop' },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { offset: number; propagation: Propagation };
    expect(body.propagation).toMatchObject({ applied: 2, total: 2, complete: true, pending: [] });
    expect(body.propagation.message).toBe(`applied on 2 of 2 verifiers in ${body.propagation.ms} ms`);
    console.log(`wait=all: ${body.propagation.message}`);
    // Heartbeats are a minute apart, longer than the timeout: only acknowledgements can have answered.
    expect(body.propagation.ms).toBeLessThan(15_000);
    for (const verifier of verifiers) expect(verifier.status.offset).toBeGreaterThanOrEqual(body.offset);
  });

  it('waits for the last offset of a batch', async () => {
    const res = await service.admin('/v1/revocations/batch?wait=all&timeout=15s', {
      body: { items: [1, 2, 3].map((i) => ({ type: 'token', jti: `batch-wait-${i}`, exp: inAnHour() })) },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { offsets: { last: number }; propagation: Propagation };
    expect(body.propagation).toMatchObject({ applied: 2, total: 2, complete: true, pending: [] });
    for (const verifier of verifiers) {
      expect(verifier.status.offset).toBeGreaterThanOrEqual(body.offsets.last);
      expect(verifier.isRevoked({ jti: 'batch-wait-3' })).toBe(true);
    }
  });

  it('waits for a reinstate too', async () => {
    const res = await service.admin('/v1/revocations/subject/mallory?wait=all&timeout=15s', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { propagation: Propagation }).propagation).toMatchObject({ applied: 2, total: 2, complete: true });
    for (const verifier of verifiers) expect(verifier.isRevoked({ sub: 'mallory', iat: 1 })).toBe(false);
  });

  it('answers at the timeout when a live-looking verifier never applies the change, naming it', async () => {
    await ghost('web-ghost', 0, 60_000);
    const started = performance.now();
    // Long enough for the two live verifiers to acknowledge on a loaded machine; the ghost never does.
    const res = await service.admin('/v1/revocations?wait=all&timeout=5s', { body: { type: 'token', jti: 'ghost-wait', exp: inAnHour() } });
    const elapsed = performance.now() - started;
    const { propagation } = (await res.json()) as { propagation: Propagation };
    expect(res.status).toBe(201);
    expect(propagation).toMatchObject({ applied: 2, total: 3, complete: false, pending: ['web-ghost'] });
    expect(propagation.message).toMatch(/^applied on 2 of 3 verifiers in \d+ ms \(timed out; not confirmed: web-ghost\)$/);
    expect(elapsed).toBeGreaterThanOrEqual(4990);
    await redis.del(keys.verifier('web-ghost'));
  });

  it('shows the lag of a verifier that is behind, in offsets and in seconds', async () => {
    await ghost('web-behind', 0, 60_000);
    const { head, verifiers: listed, summary } = await listing();
    const behind = listed.find((v) => v.id === 'web-behind');
    expect(head.offset).toBeGreaterThanOrEqual(3);
    expect(behind?.lag.offsets).toBe(head.offset);
    expect(behind?.lag.seconds).toBeGreaterThan(0);
    expect(summary.behind).toBe(1);
    await redis.del(keys.verifier('web-behind'));
  });

  it('drops a verifier that stops reporting once its report expires', async () => {
    await ghost('web-dying', 0, 400);
    expect((await listing()).verifiers.map((v) => v.id)).toContain('web-dying');
    await waitFor(async () => !(await listing()).verifiers.some((v) => v.id === 'web-dying'), 15_000, 50);
  });

  it('drops a verifier at once when it closes', async () => {
    const extra = testVerifier({ redis: redisUrl, keyPrefix, id: 'web-short-lived', heartbeatInterval: 60 });
    await extra.ready();
    await waitFor(async () => (await listing()).verifiers.some((v) => v.id === 'web-short-lived'), 15_000, 20);
    await extra.close();
    expect((await listing()).verifiers.map((v) => v.id)).toEqual(['web-1', 'web-2']);
  });

  it.each([
    ['wait=some', 'wait'],
    ['wait=all&timeout=99s', 'timeout'],
    ['wait=all&timeout=soon', 'timeout'],
    ['timeout=2s', 'timeout'],
    ['verbose=1', 'verbose'],
  ])('refuses ?%s naming %s, and records nothing', async (query, field) => {
    const before = (await listing()).head.offset;
    const res = await service.admin(`/v1/revocations?${query}`, { body: { type: 'token', jti: `bad-wait-${field}`, exp: inAnHour() } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(field);
    expect((await listing()).head.offset).toBe(before);
  });
});

describe('when the verifiers cannot be asked', () => {
  it('still records the change and says the wait failed, instead of failing the request', async () => {
    const redisUrl = inject('redisUrl');
    const fleet = new RedisFleet({ redis: `redis://127.0.0.1:${await freePort()}`, keyPrefix: 'unreachable' });
    const service = await startService({ redisUrl, keyPrefix: uniquePrefix(), fleet });
    try {
      const res = await service.admin('/v1/revocations?wait=all', { body: { type: 'subject', sub: 'recorded-anyway' } });
      expect(res.status).toBe(201);
      const { propagation } = (await res.json()) as { propagation: Propagation };
      expect(propagation).toMatchObject({ complete: false, applied: 0 });
      expect(propagation.message).toMatch(/^recorded, but the verifiers could not be asked/);
      expect((await service.admin('/v1/revocations/subject/recorded-anyway')).status).toBe(200);
      expect((await service.admin('/v1/verifiers')).status).toBe(503);
    } finally {
      await service.close();
    }
  });
});

describe('propagation you can see, in one process', () => {
  it('lists in-process verifiers and waits for them through the in-memory fleet', async () => {
    const store = memoryStore();
    const fleet = new MemoryFleet(store);
    const service = await startService({ store, fleet });
    const verifier = testVerifier({ source: fleet.feed(), id: 'embedded', heartbeatInterval: 10 });
    try {
      await verifier.ready();
      const res = await service.admin('/v1/revocations?wait=all', { body: { type: 'session', sid: 'sess-1' } });
      const { propagation } = (await res.json()) as { propagation: Propagation };
      expect(propagation).toMatchObject({ applied: 1, total: 1, complete: true });
      expect(propagation.message).toMatch(/^applied on 1 of 1 verifier in \d+ ms$/);
      const listed = (await (await service.admin('/v1/verifiers')).json()) as Listing;
      expect(listed.verifiers.map((v) => [v.id, v.lag.offsets])).toEqual([['embedded', 0]]);
    } finally {
      await verifier.close();
      await service.close();
    }
  });
});
