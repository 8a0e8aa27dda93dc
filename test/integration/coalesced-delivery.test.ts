import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { decodeMessages, encodeChange, memberOf, redisKeys, type Message, type RevocationType } from '@revocast/verifier-sdk/protocol';
import { RedisStore } from '@revocast/revocation-service';
import { planRevocation, type RevocationInput, type RevocationPlan } from '../../revocation-service/src/model/revocation.js';
import { WRITE_GROUPS } from '../../revocation-service/src/store/lua-scripts.js';
import { InvalidIdError, StoreUnavailableError } from '../../revocation-service/src/store/revocation-store.js';
import { MAX_TOKEN_TTL, postgresStore, sql, testVerifier, uniquePrefix, waitFor } from '../support/fixtures.js';
import { startRedisServer } from '../support/redis-server.js';

/**
 * Coalesced delivery: changes made while a write is in flight reach every
 * verifier as one message, so a burst costs each verifier a few deliveries
 * rather than one per change, while every caller still gets its own answer,
 * offsets stay contiguous and the verifiers end equal to the store.
 */

const redisUrl = inject('redisUrl');
const TTL_MS = MAX_TOKEN_TTL * 1000;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

function plan(input: RevocationInput, now = Date.now()): RevocationPlan {
  return planRevocation(input, { now, maxTokenTtlMs: TTL_MS, actor: 'tests' });
}

const context = (now = Date.now()) => ({ actor: 'tests', now });

/** Every message published on a prefix's channel, as received by a plain subscriber. */
class Listener {
  readonly raw: string[] = [];
  readonly #subscriber: Redis;

  private constructor(subscriber: Redis) {
    this.#subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => void this.raw.push(message));
  }

  static async on(url: string, keyPrefix: string): Promise<Listener> {
    const listener = new Listener(new Redis(url));
    await listener.#subscriber.subscribe(redisKeys(keyPrefix).channel);
    return listener;
  }

  /** The changes of every message, in the order received. */
  changes(): Message[] {
    return this.raw.flatMap((raw) => decodeMessages(raw) ?? []);
  }

  close(): void {
    this.#subscriber.disconnect();
  }
}

function redisStore(keyPrefix: string, extra: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}, url = redisUrl): RedisStore {
  return new RedisStore({ redis: url, keyPrefix, maxTokenTtlMs: TTL_MS, retentionGraceMs: 60_000, ...extra });
}

/** The stream entries of a prefix as (offset, stream id) pairs. */
async function streamPositions(redis: Redis, keyPrefix: string): Promise<Array<[number, string]>> {
  const entries = await redis.xrange(redisKeys(keyPrefix).log, '-', '+');
  return entries.map(([id, fields]) => [Number(fields[fields.indexOf('o') + 1]), id]);
}

describe('coalesced delivery on the Redis store', () => {
  let redis: Redis;
  const closing: Array<() => unknown> = [];

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  afterAll(() => {
    redis.disconnect();
  });

  async function setUp(): Promise<{ keyPrefix: string; store: RedisStore; listener: Listener; verifier: Verifier }> {
    const keyPrefix = uniquePrefix();
    const store = redisStore(keyPrefix);
    closing.push(() => store.close());
    await store.ready();
    const listener = await Listener.on(redisUrl, keyPrefix);
    closing.push(() => listener.close());
    const verifier = testVerifier({ redis: redisUrl, keyPrefix });
    closing.push(() => verifier.close());
    await verifier.ready();
    return { keyPrefix, store, listener, verifier };
  }

  it('delivers revocations made together in fewer messages than changes, each caller with its own result, in the order made', async () => {
    const { keyPrefix, store, listener, verifier } = await setUp();
    const exp = inAnHour();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => store.revoke(plan({ type: 'token', jti: `together-${i}`, exp }), context())),
    );
    for (const [i, result] of results.entries()) {
      expect(result).toMatchObject({ changed: true, record: { type: 'token', id: `together-${i}`, offset: i + 1 } });
    }
    // The verifier may have read the stream before this listener's socket delivered the messages: wait for both.
    await waitFor(() => verifier.status.offset === 100 && (listener.changes().at(-1)?.offset ?? 0) >= 100);
    expect(listener.raw.length).toBeLessThan(100);
    // Every change once, in offset order, each at the stream id of its own stream entry.
    expect(listener.changes().map((m) => [m.offset, m.streamId])).toEqual(await streamPositions(redis, keyPrefix));
    expect(listener.changes().map((m) => (m.change.op === 'revoke' ? m.change.entry.id : m.change.id))).toEqual(
      results.map((r) => r.record.id),
    );
    expect(await redis.hget(redisKeys(keyPrefix).meta, 'last_id')).toBe(listener.changes().at(-1)?.streamId);
    for (let i = 0; i < 100; i++) expect(verifier.isRevoked({ jti: `together-${i}` })).toBe(true);
  });

  it('sends the calls made while a write is in flight as one message after it', async () => {
    const { store, listener, verifier } = await setUp();
    const exp = inAnHour();
    const first = store.revoke(plan({ type: 'token', jti: 'first', exp }), context());
    // The next turn: the first write has gone out; these fifty queue behind it (or, if it is back already, go together).
    await new Promise((resolve) => setImmediate(resolve));
    const rest = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.revoke(plan({ type: 'token', jti: `behind-${i}`, exp }), context())),
    );
    expect((await first).record.offset).toBe(1);
    expect(rest.map((r) => r.record.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    // The verifier may have read the stream before this listener's socket delivered the messages: wait for both.
    await waitFor(() => verifier.status.offset === 51 && (listener.changes().at(-1)?.offset ?? 0) >= 51);
    expect(listener.raw.length).toBeLessThanOrEqual(2);
    expect(listener.changes().map((m) => m.offset)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it('answers mixed calls made together as each would be answered alone: no-op repeats, reinstatements, batches', async () => {
    const { store, listener, verifier } = await setUp();
    const exp = inAnHour();
    await store.revoke(plan({ type: 'session', sid: 'held' }), context());
    const [repeat, wider, narrower, batch, reinstated, nothingToReinstate] = await Promise.all([
      store.revoke(plan({ type: 'token', jti: 'twice', exp }), context()),
      store.revoke(plan({ type: 'token', jti: 'twice', exp: exp + 60 }), context()),
      store.revoke(plan({ type: 'token', jti: 'twice', exp: exp - 60 }), context()),
      store.revokeBatch([plan({ type: 'subject', sub: 'ana' }), plan({ type: 'session', sid: 'held' })], context()),
      store.reinstate('session', 'held', context()),
      store.reinstate('token', 'never-revoked', context()),
    ]);
    expect(repeat).toMatchObject({ changed: true, record: { offset: 2, exp } });
    expect(wider).toMatchObject({ changed: true, record: { offset: 3, exp: exp + 60 } });
    // Narrower than what the call before it wrote: nothing changes, and the caller is told what is in force.
    expect(narrower).toMatchObject({ changed: false, record: { offset: 3, exp: exp + 60 } });
    // A session revoked again without an exp reaches no further: only the subject is written.
    expect(batch.offsets).toEqual({ first: 4, last: 4 });
    expect(batch.results.map((r) => r.changed)).toEqual([true, false]);
    expect(reinstated).toMatchObject({ offset: 5, record: { type: 'session', id: 'held', offset: 1 } });
    expect(nothingToReinstate).toBeNull();
    // The verifier may have read the stream before this listener's socket delivered the messages: wait for both.
    await waitFor(() => verifier.status.offset === 5 && (listener.changes().at(-1)?.offset ?? 0) >= 5);
    expect(listener.changes().map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(listener.raw).toHaveLength(2);
    expect(verifier.isRevoked({ sid: 'held' })).toBe(false);
    expect(verifier.isRevoked({ sub: 'ana', iat: Date.now() / 1000 - 60 })).toBe(true);
  });

  it('fails a call with a refused id alone: the calls made with it are written and delivered', async () => {
    const { store, listener, verifier } = await setUp();
    const exp = inAnHour();
    const settled = await Promise.allSettled([
      store.revoke(plan({ type: 'token', jti: 'good-1', exp }), context()),
      store.revoke(plan({ type: 'token', jti: 'bad\u0000id', exp }), context()),
      store.revokeBatch([plan({ type: 'token', jti: 'good-2', exp }), plan({ type: 'session', sid: 'x'.repeat(257) })], context()),
      store.reinstate('token', '', context()),
      store.revoke(plan({ type: 'token', jti: 'good-3', exp }), context()),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    const fields = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as InvalidIdError).field] : []));
    expect(fields).toEqual(['jti', 'items.1.sid', 'id']);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(InvalidIdError);
    // The verifier may have read the stream before this listener's socket delivered the messages: wait for both.
    await waitFor(() => verifier.status.offset === 2 && (listener.changes().at(-1)?.offset ?? 0) >= 2);
    expect(listener.changes().map((m) => (m.change.op === 'revoke' ? m.change.entry.id : m.change.id))).toEqual(['good-1', 'good-3']);
    // All or nothing within a call: the good item of the refused batch was not written.
    expect(await store.get('token', 'good-2')).toBeNull();
  });

  it('refuses, inside the write script, only the group whose id the rule rejects', async () => {
    // Past the TypeScript checks: the script itself decides per caller.
    const keyPrefix = uniquePrefix();
    const k = redisKeys(keyPrefix);
    const listener = await Listener.on(redisUrl, keyPrefix);
    closing.push(() => listener.close());
    const now = Date.now();
    const revokeItem = (id: string) => {
      const change = encodeChange({ op: 'revoke', entry: { type: 'token', id, pruneAt: now + 60_000 }, at: now });
      return [
        'revoke',
        memberOf('token', id),
        'token',
        id,
        String(now + 60_000),
        String(now + 60_000),
        '',
        JSON.stringify({ type: 'token', id }),
        change,
        '',
      ];
    };
    const reinstateItem = (id: string) => [
      'reinstate',
      memberOf('token', id),
      'token',
      id,
      encodeChange({ op: 'reinstate', type: 'token', id, at: now }),
    ];
    const keys = [k.meta, k.entries, k.cutoffs, k.details, k.log, k.bySub];
    const args = [
      'aaaaaaaaaaaaaaaa',
      '0-0',
      k.channel,
      'PUBLISH',
      '4',
      '1',
      ...revokeItem('one'),
      '2',
      ...revokeItem('kept-out'),
      ...revokeItem('a\u0001'),
      '1',
      ...reinstateItem('\u0085'),
      '1',
      ...revokeItem('two'),
    ];
    const reply = (await redis.eval(WRITE_GROUPS, keys.length, ...keys, ...args)) as unknown[][];
    expect(reply).toEqual([
      [1, '{"offset":1,"type":"token","id":"one"}', '1'],
      ['refused', 'items.1.jti'],
      ['refused', 'id'],
      [1, '{"offset":2,"type":"token","id":"two"}', '2'],
    ]);
    expect(await redis.zrange(k.entries, 0, -1)).toEqual(['jti:one', 'jti:two']);
    await waitFor(() => listener.raw.length === 1);
    const [published] = listener.raw;
    expect(decodeMessages(published as string)?.map((m) => [m.epoch, m.offset, m.streamId])).toEqual(
      (await streamPositions(redis, keyPrefix)).map(([offset, id]) => ['aaaaaaaaaaaaaaaa', offset, id]),
    );
    await redis.del(...keys);
  });

  it('fails every queued call when Redis does not answer, and writes again once it does', async () => {
    const server = await startRedisServer();
    closing.push(() => server.stop());
    const keyPrefix = uniquePrefix();
    const store = redisStore(keyPrefix, { commandTimeoutMs: 300 }, server.url);
    closing.push(() => store.close());
    await store.ready();
    await store.revoke(plan({ type: 'token', jti: 'before', exp: inAnHour() }), context());
    server.pause();
    try {
      const inFlight = store.revoke(plan({ type: 'token', jti: 'in-flight', exp: inAnHour() }), context());
      await new Promise((resolve) => setImmediate(resolve));
      const queued = Array.from({ length: 20 }, (_, i) =>
        store.revoke(plan({ type: 'token', jti: `queued-${i}`, exp: inAnHour() }), context()),
      );
      for (const result of await Promise.allSettled([inFlight, ...queued])) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      }
    } finally {
      server.resume();
    }
    await waitFor(
      async () =>
        await store.revoke(plan({ type: 'token', jti: 'after', exp: inAnHour() }), context()).then(
          () => true,
          () => false,
        ),
      10_000,
    );
    expect(await store.get('token', 'after')).not.toBeNull();
  });
});

const TYPES: readonly RevocationType[] = ['token', 'session', 'subject'];
const IDS = ['a', 'b', 'c'];

type Op =
  | { readonly op: 'revoke'; readonly items: ReadonlyArray<{ readonly type: RevocationType; readonly id: string; readonly reach: number }> }
  | { readonly op: 'reinstate'; readonly type: RevocationType; readonly id: string };

const revocation = fc.record({ type: fc.constantFrom(...TYPES), id: fc.constantFrom(...IDS), reach: fc.integer({ min: 0, max: 2 }) });
const operation: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: revocation.map((item) => ({ op: 'revoke' as const, items: [item] })) },
  { weight: 1, arbitrary: fc.array(revocation, { minLength: 1, maxLength: 3 }).map((items) => ({ op: 'revoke' as const, items })) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('reinstate' as const), type: fc.constantFrom(...TYPES), id: fc.constantFrom(...IDS) }),
  },
);
/** Waves of calls: the calls of a wave are made together, each wave after the one before has been answered. */
const waves = fc.array(fc.array(operation, { minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 5 });

/** The input an item revokes; `reach` moves its exp or cutoff so repeats sometimes widen, sometimes not (0: a session without exp). */
function inputOf(item: { type: RevocationType; id: string; reach: number }, base: number): RevocationInput {
  const exp = Math.floor(base / 1000) + 600 + item.reach * 60;
  if (item.type === 'token') return { type: 'token', jti: item.id, exp };
  if (item.type === 'session') return item.reach === 0 ? { type: 'session', sid: item.id } : { type: 'session', sid: item.id, exp };
  return { type: 'subject', sub: item.id, before: (base - 60_000 + item.reach * 1000) / 1000 };
}

describe('coalesced delivery, any interleaving', () => {
  it('ends with the verifier equal to the store, each caller answered as if the calls had run one after the other, one message per wave', async () => {
    const redis = new Redis(redisUrl);
    try {
      await fc.assert(
        fc.asyncProperty(waves, async (wavePlan) => {
          const base = Date.now();
          const prefixes = { together: uniquePrefix(), oneByOne: uniquePrefix() };
          const together = redisStore(prefixes.together);
          const oneByOne = redisStore(prefixes.oneByOne, { coalesce: false });
          const listener = await Listener.on(redisUrl, prefixes.together);
          const verifier = testVerifier({ redis: redisUrl, keyPrefix: prefixes.together });
          try {
            await Promise.all([together.ready(), oneByOne.ready(), verifier.ready()]);
            const call = (store: RedisStore, op: Op) =>
              op.op === 'revoke'
                ? store.revokeBatch(
                    op.items.map((item) => planRevocation(inputOf(item, base), { now: base, maxTokenTtlMs: TTL_MS, actor: 'tests' })),
                    context(base),
                  )
                : store.reinstate(op.type, op.id, context(base));
            let wavesThatChanged = 0;
            for (const wave of wavePlan) {
              const answers = await Promise.all(wave.map((op) => call(together, op)));
              const expected = [];
              for (const op of wave) expected.push(await call(oneByOne, op));
              expect(answers).toEqual(expected);
              if (answers.some((a) => a !== null && ('offsets' in a ? a.offsets !== null : true))) wavesThatChanged++;
            }
            const head = Number((await redis.hget(redisKeys(prefixes.together).meta, 'offset')) ?? 0);
            await waitFor(() => verifier.status.offset === head);
            // Contiguous offsets, one message for all the changes of a wave.
            expect(listener.changes().map((m) => m.offset)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
            expect(listener.raw).toHaveLength(wavesThatChanged);
            for (const type of TYPES) {
              for (const id of IDS) {
                const held = await together.get(type, id);
                const claim = type === 'token' ? { jti: id } : type === 'session' ? { sid: id } : undefined;
                if (claim !== undefined) {
                  expect(verifier.isRevoked(claim), `${type} ${id}`).toBe(held !== null);
                } else if (held === null) {
                  expect(verifier.isRevoked({ sub: id, iat: base / 1000 - 3600 }), `subject ${id}`).toBe(false);
                } else {
                  const cutoff = held.cutoff as number;
                  expect(verifier.isRevoked({ sub: id, iat: cutoff / 1000 }), `subject ${id} at its cutoff`).toBe(true);
                  expect(verifier.isRevoked({ sub: id, iat: cutoff / 1000 + 0.001 }), `subject ${id} after its cutoff`).toBe(false);
                }
              }
            }
          } finally {
            listener.close();
            await verifier.close();
            await Promise.all([together.close(), oneByOne.close()]);
            await redis.del(
              ...Object.values(prefixes).flatMap((p) =>
                Object.values(redisKeys(p)).filter((key): key is string => typeof key === 'string'),
              ),
            );
          }
        }),
        { numRuns: 30 },
      );
    } finally {
      redis.disconnect();
    }
  });
});

describe('coalesced delivery from the PostgreSQL outbox', () => {
  const keyPrefix = uniquePrefix();
  afterAll(async () => {
    await sql(`DROP SCHEMA IF EXISTS "${keyPrefix}" CASCADE`);
  });

  it('publishes the changes one outbox pass finds as one message', async () => {
    const store = postgresStore({ redisUrl, keyPrefix, outboxIntervalMs: 3_600_000 });
    const listener = await Listener.on(redisUrl, keyPrefix);
    const verifier = testVerifier({ redis: redisUrl, keyPrefix });
    try {
      await store.ready();
      await verifier.ready();
      // The passes of the start are over; committed straight to the record, no change kicks the outbox: the next pass finds all twenty.
      await store.publishPending();
      const before = verifier.status.offset;
      const heard = listener.raw.length;
      const now = Date.now();
      for (let i = 0; i < 20; i++) {
        const entry = { type: 'token', id: `outbox-${i}`, pruneAt: now + 600_000 } as const;
        await sql(`SELECT * FROM "${keyPrefix}".record_change($1, 'token', $2, NULL, $3, NULL, $3, $4::jsonb, $5, $6)`, [
          memberOf('token', entry.id),
          entry.id,
          entry.pruneAt,
          JSON.stringify({ type: 'token', id: entry.id, pruneAt: entry.pruneAt, revokedBy: 'tests', revokedAt: now }),
          encodeChange({ op: 'revoke', entry, at: now }),
          now,
        ]);
      }
      await store.publishPending();
      await waitFor(() => verifier.status.offset === before + 20);
      expect(listener.raw.length - heard).toBe(1);
      expect(listener.changes().map((m) => m.offset)).toEqual(Array.from({ length: before + 20 }, (_, i) => 1 + i));
      const redis = new Redis(redisUrl);
      try {
        expect(listener.changes().map((m) => [m.offset, m.streamId])).toEqual(await streamPositions(redis, keyPrefix));
      } finally {
        redis.disconnect();
      }
      for (let i = 0; i < 20; i++) expect(verifier.isRevoked({ jti: `outbox-${i}` })).toBe(true);
    } finally {
      listener.close();
      await verifier.close();
      await store.close();
    }
  });
});
