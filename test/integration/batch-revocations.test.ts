import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { decodeMessages, redisKeys, type SyncSource } from '@revocast/verifier-sdk/protocol';
import { RedisSource } from '../../verifier-sdk/src/sync/redis-source.js';
import {
  memoryStore,
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

const redisUrl = inject('redisUrl');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface BatchAnswer {
  changed: number;
  unchanged: number;
  offsets: { first: number; last: number } | null;
  items: Array<Record<string, unknown> & { changed: boolean; offset: number }>;
}

interface Problem {
  code: string;
  detail: string;
  errors: Array<{ field: string; message: string }>;
}

async function onRedis(): Promise<{ service: ServiceHandle; verifier: Verifier }> {
  const keyPrefix = uniquePrefix();
  return { service: await startService({ redisUrl, keyPrefix }), verifier: testVerifier({ redis: redisUrl, keyPrefix }) };
}

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
});

/** PostgreSQL as the record, Redis as the projection verifiers read. */
async function onPostgres(): Promise<{ service: ServiceHandle; verifier: Verifier }> {
  const keyPrefix = uniquePrefix();
  schemas.push(keyPrefix);
  const store = postgresStore({ redisUrl, keyPrefix });
  return { service: await startService({ store, redisUrl, keyPrefix }), verifier: testVerifier({ redis: redisUrl, keyPrefix }) };
}

async function inMemory(): Promise<{ service: ServiceHandle; verifier: Verifier }> {
  const store = memoryStore();
  return { service: await startService({ store }), verifier: testVerifier({ source: store.feed() }) };
}

/** The rules every store must follow; run on Redis and on the in-memory store. */
describe.each([
  ['Redis', onRedis],
  ['PostgreSQL', onPostgres],
  ['memory', inMemory],
])('POST /v1/revocations/batch on the %s store', (_name, setup) => {
  let service: ServiceHandle;
  let verifier: Verifier;

  beforeAll(async () => {
    ({ service, verifier } = await setup());
    await verifier.ready();
  });
  afterAll(async () => {
    await verifier.close();
    await service.close();
  });

  const batch = (items: unknown[]) => service.admin('/v1/revocations/batch', { body: { items } });

  it('records every item with one contiguous offset range, and verifiers reject them all', async () => {
    const token = await signToken({ jti: 'batch-jti', sub: 'nina', sid: 'nina-laptop' });
    const subjectToken = await signToken({ sub: 'oscar' });
    const res = await batch([
      { type: 'token', jti: 'batch-jti', exp: inAnHour(), reason: 'leaked' },
      { type: 'subject', sub: 'oscar' },
      { type: 'session', sid: 'batch-sid' },
    ]);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as BatchAnswer;
    expect(answer.changed).toBe(3);
    expect(answer.offsets).not.toBeNull();
    const { first, last } = answer.offsets as { first: number; last: number };
    expect(last - first).toBe(2);
    expect(answer.items.map((item) => item.offset)).toEqual([first, first + 1, first + 2]);
    expect(answer.items[0]).toMatchObject({ type: 'token', jti: 'batch-jti', reason: 'leaked', changed: true });

    await waitFor(() => verifier.status.offset === last);
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_REVOKED');
    expect(await outcome(verifier, subjectToken)).toBe('ERR_TOKEN_REVOKED');
    expect(verifier.isRevoked({ sid: 'batch-sid' })).toBe(true);
    expect((await service.admin('/v1/revocations/session/batch-sid')).status).toBe(200);
  });

  it('is idempotent: the same batch again changes nothing and takes no offsets', async () => {
    const items = [
      { type: 'token', jti: 'again-1', exp: inAnHour() },
      { type: 'session', sid: 'again-2' },
    ];
    const first = (await (await batch(items)).json()) as BatchAnswer;
    const res = await batch(items);
    expect(res.status).toBe(200);
    const again = (await res.json()) as BatchAnswer;
    expect(again).toMatchObject({ changed: 0, unchanged: 2, offsets: null });
    expect(again.items.map((item) => [item.changed, item.offset])).toEqual(first.items.map((item) => [false, item.offset]));
    const next = (await (
      await service.admin('/v1/revocations', { body: { type: 'token', jti: 'after-again', exp: inAnHour() } })
    ).json()) as { offset: number };
    expect(next.offset).toBe((first.offsets as { last: number }).last + 1);
  });

  it('applies items in order: a later item widens an earlier one of the same batch, a narrower one changes nothing', async () => {
    const exp = inAnHour();
    const answer = (await (
      await batch([
        { type: 'token', jti: 'twice', exp },
        { type: 'token', jti: 'twice', exp: exp + 60 },
        { type: 'token', jti: 'twice', exp: exp - 60 },
      ])
    ).json()) as BatchAnswer;
    expect(answer.items.map((item) => item.changed)).toEqual([true, true, false]);
    expect(answer.items[2]).toMatchObject({ exp: exp + 60 });
    expect(answer.offsets).toEqual({ first: answer.items[0]?.offset, last: answer.items[1]?.offset });
  });

  describe('validation: nothing is written unless every item is valid', () => {
    async function headOffset(): Promise<number> {
      const res = await service.admin('/v1/revocations', { body: { type: 'token', jti: `probe-${Math.random()}`, exp: inAnHour() } });
      return ((await res.json()) as { offset: number }).offset;
    }

    it.each([
      [
        'a bad exp in the third item',
        [
          { type: 'token', jti: 'ok-1', exp: inAnHour() },
          { type: 'session', sid: 'ok-2' },
          { type: 'token', jti: 'bad', exp: 'soon' },
        ],
        'items.2.exp',
      ],
      [
        'an unknown type',
        [
          { type: 'token', jti: 'ok-3', exp: inAnHour() },
          { type: 'user', sub: 'x' },
        ],
        'items.1.type',
      ],
      ['an item that is not an object', [{ type: 'token', jti: 'ok-4', exp: inAnHour() }, 'jti-5'], 'items.1'],
      ['an unknown field in an item', [{ type: 'session', sid: 'ok-6', admin: true }], 'items.0.admin'],
      ['no items', [], 'items'],
    ])('answers 400 for %s, naming the field', async (_case, items, field) => {
      const before = await headOffset();
      const res = await batch(items);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = (await res.json()) as Problem;
      expect(problem.code).toBe('ERR_VALIDATION');
      expect(problem.errors.map((error) => error.field)).toContain(field);
      expect(problem.detail).toContain(field);
      expect(await headOffset()).toBe(before + 1);
      expect((await service.admin('/v1/revocations/token/ok-1')).status).toBe(404);
    });

    it('answers 400 for a body without an items array, or with other fields', async () => {
      for (const [body, field] of [
        [{}, 'items'],
        [{ items: 'x' }, 'items'],
        [{ items: [], force: true }, 'force'],
        [[1], '(body)'],
      ] as const) {
        const res = await service.admin('/v1/revocations/batch', { body });
        expect(res.status).toBe(400);
        expect(((await res.json()) as Problem).errors.map((error) => error.field)).toContain(field);
      }
    });

    it('answers 400 for more than 10,000 items', async () => {
      const items = Array.from({ length: 10_001 }, (_, i) => ({ type: 'session', sid: `many-${i}` }));
      const res = await batch(items);
      expect(res.status).toBe(400);
      const problem = (await res.json()) as Problem;
      expect(problem.errors).toEqual([{ field: 'items', message: 'must hold at most 10000 revocations' }]);
    });

    it('lists at most 100 problems of a bad batch and counts the rest', async () => {
      const items = Array.from({ length: 300 }, (_, i) => ({ type: 'token', jti: `no-exp-${i}` }));
      const problem = (await (await batch(items)).json()) as Problem;
      expect(problem.errors).toHaveLength(101);
      expect(problem.errors[0]).toEqual({ field: 'items.0.exp', message: 'is required' });
      expect(problem.errors[100]).toEqual({ field: '(body)', message: '200 more problems are not listed' });
    });

    it('caps the problems of a body with many unknown top-level keys', async () => {
      const body: Record<string, unknown> = { items: [{ type: 'session', sid: 'fine' }] };
      for (let i = 0; i < 60_000; i++) body[`k${i}`] = 1;
      const res = await service.admin('/v1/revocations/batch', { body });
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(text.length).toBeLessThan(20_000);
      const problem = JSON.parse(text) as Problem;
      expect(problem.errors).toHaveLength(101);
      expect(problem.errors[0]).toEqual({ field: 'k0', message: 'is not a known field' });
      expect(problem.errors[100]).toEqual({ field: '(body)', message: '59900 more problems are not listed' });
    });

    it('answers 413 for a body over the batch limit and 415 for one that is not JSON', async () => {
      const big = await service.admin('/v1/revocations/batch', {
        body: { items: [{ type: 'session', sid: 'x' }], pad: 'x'.repeat(11 * 1024 * 1024) },
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as Problem).code).toBe('ERR_BODY_TOO_LARGE');
      const form = await service.admin('/v1/revocations/batch', {
        body: 'items=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(415);
    });

    it('answers 401 without the admin key', async () => {
      const res = await fetch(`${service.url}/v1/revocations/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"items":[]}',
      });
      expect(res.status).toBe(401);
    });
  });

  it('takes 10,000 items in one call', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ type: 'token', jti: `bulk-${i}`, exp: inAnHour() }));
    const res = await batch(items);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as BatchAnswer;
    expect(answer.changed).toBe(10_000);
    const { first, last } = answer.offsets as { first: number; last: number };
    expect(last - first).toBe(9_999);
    // 10,000 changes through the outbox and the stream: generous on a loaded machine.
    await waitFor(() => verifier.status.offset === last, 20_000, 20);
    expect(verifier.status.entries.token).toBeGreaterThanOrEqual(10_000);
    expect(verifier.isRevoked({ jti: 'bulk-0' }) && verifier.isRevoked({ jti: 'bulk-9999' })).toBe(true);
  }, 60_000);
});

describe('a batch on Redis', () => {
  const keyPrefix = uniquePrefix();
  const keys = redisKeys(keyPrefix);
  let service: ServiceHandle;
  let redis: Redis;
  let subscriber: Redis;
  const published: string[] = [];

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
    subscriber = new Redis(redisUrl);
    subscriber.on('message', (_channel: string, message: string) => void published.push(message));
    await subscriber.subscribe(keys.channel);
  });
  afterAll(async () => {
    subscriber.disconnect();
    redis.disconnect();
    await service.close();
  });

  it('is published as one message whose offsets and stream ids match the stream entries', async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ type: 'token', jti: `one-message-${i}`, exp: inAnHour() }));
    const answer = (await (await service.admin('/v1/revocations/batch', { body: { items } })).json()) as BatchAnswer;
    await waitFor(() => published.length > 0);
    expect(published).toHaveLength(1);
    const messages = decodeMessages(published[0] as string);
    const stream = await redis.xrange(keys.log, '-', '+');
    expect(messages?.map((m) => [m.offset, m.streamId])).toEqual(
      stream.map(([id, fields]) => [Number(fields[fields.indexOf('o') + 1]), id]),
    );
    expect(messages?.map((m) => m.offset)).toEqual(answer.items.map((item) => item.offset));
    expect(await redis.hget(keys.meta, 'last_id')).toBe(stream.at(-1)?.[0]);
    expect(await redis.hget(keys.meta, 'live:token')).toBe('5');
  });

  it('reaches a verifier that missed the message through the stream, item by item', async () => {
    const real = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 1000, logger: quiet });
    // Its subscription delivers nothing: only the liveness poll and the stream can bring the batch.
    const deaf: SyncSource = {
      subscribe: (_onMessage, onResubscribed) => real.subscribe(() => {}, onResubscribed),
      head: () => real.head(),
      snapshot: (onEntries) => real.snapshot(onEntries),
      readAfter: (streamId, count) => real.readAfter(streamId, count),
      close: () => real.close(),
    };
    const verifier = testVerifier({ source: deaf, pollInterval: 0.05 });
    try {
      await verifier.ready();
      const items = Array.from({ length: 2500 }, (_, i) => ({ type: 'session', sid: `missed-${i}` }));
      const answer = (await (await service.admin('/v1/revocations/batch', { body: { items } })).json()) as BatchAnswer;
      const last = (answer.offsets as { last: number }).last;
      await waitFor(() => verifier.status.offset === last);
      expect(verifier.status.entries.session).toBe(2500);
      expect(verifier.isRevoked({ sid: 'missed-0' }) && verifier.isRevoked({ sid: 'missed-2499' })).toBe(true);
    } finally {
      await verifier.close();
    }
  });
});
