import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  LUA_PROTOCOL,
  MESSAGE_SEPARATOR,
  decodeLogEntry,
  decodeMessages,
  encodeChange,
  encodeLogEntry,
  memberOf,
  reachOf,
  redisKeys,
  type Entry,
  type Head,
  type Message,
  type SyncSource,
} from '@revocast/verifier-sdk/protocol';
import { MemoryStore, RedisStore } from '@revocast/revocation-service';
import type { RevocationPlan, RevocationRecord } from '../../../revocation-service/src/model/revocation.js';
import { RedisProjection } from '../../../revocation-service/src/store/redis-projection.js';
import { RecordOwnedError, type RevocationStore } from '../../../revocation-service/src/store/revocation-store.js';
import { RedisSource } from '../../../verifier-sdk/src/sync/redis-source.js';
import { MAX_TOKEN_TTL, postgresStore, sql, uniquePrefix, waitFor } from '../../support/fixtures.js';
import { changeOf, vectorsOf, wireMessageOf, type Vector, type WireChange, type WireMessage } from '../../support/protocol-vectors.js';

/**
 * The writers that run in Redis are Lua, the readers TypeScript: this holds
 * them to one protocol. The protocol's Lua fragments get the vectors the
 * TypeScript side passes (conformance-vectors.test.ts); every writer script
 * runs on a real Redis, and what it publishes and appends is decoded with
 * the verifiers' decoders and compared with the vectors; and every store
 * (memory, Redis's Lua, PostgreSQL's record_change) gets the widening
 * vectors and must decide as the protocol's `widens` does.
 */

const redisUrl = inject('redisUrl');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const TTL_MS = MAX_TOKEN_TTL * 1000;

const canonicalMessages = vectorsOf('message').filter((v) => v.canonical === true) as Array<
  Vector & { raw: string; messages: WireMessage[] }
>;
const revocationsOnly = canonicalMessages.filter((v) => v.messages.every((m) => m.change.op === 'revoke'));
const singles = revocationsOnly.filter((v) => v.messages.length === 1);
const batches = revocationsOnly.filter((v) => v.messages.length > 1);
const reinstatements = canonicalMessages.filter((v) => v.messages.length === 1 && v.messages[0]?.change.op === 'reinstate');

/** What a writer is asked to write for a vector's revocation, at the vector's time. */
function planOf(change: WireChange, rank?: number): RevocationPlan {
  const entry = changeOf(change);
  if (entry.op !== 'revoke') throw new Error('a revocation, please');
  return planFor(entry.entry, change.at, rank);
}

function planFor(entry: Entry, at: number, rank?: number): RevocationPlan {
  const record: RevocationRecord = {
    type: entry.type,
    id: entry.id,
    pruneAt: entry.pruneAt,
    ...(entry.type === 'subject'
      ? { sub: entry.id, ...(entry.cutoff === undefined ? {} : { cutoff: entry.cutoff }) }
      : { exp: entry.pruneAt / 1000 }),
    revokedBy: 'contract',
    revokedAt: at,
  };
  return { record, entry, rank: rank ?? reachOf(entry) ?? 0 };
}

/** The body of a channel message: everything after the third separator. */
function bodyOf(raw: string): string {
  let at = -1;
  for (let i = 0; i < 3; i++) at = raw.indexOf(MESSAGE_SEPARATOR, at + 1);
  return raw.slice(at + 1);
}

/** The vector's messages as a writer placed them: its epoch, its offsets from `first`, its stream ids. */
function placed(expected: readonly WireMessage[], epoch: string, first: number, streamIds: readonly string[]): WireMessage[] {
  return expected.map((message, i) => ({ ...message, epoch, offset: first + i, streamId: streamIds[i] as string }));
}

describe('the protocol Lua fragments agree with the TypeScript side on the vectors', () => {
  let redis: Redis;
  const scratch = `{${uniquePrefix()}}:scratch`;
  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await redis.del(scratch);
    redis.disconnect();
  });

  const run = (lua: string, ...args: string[]) => redis.eval(lua, 1, scratch, ...args);

  it('reads members as parseMember does', async () => {
    const script = `${LUA_PROTOCOL.members}\nlocal kind, id = parse_member(ARGV[1])\nif not kind then return {} end\nreturn {kind, id}`;
    const vectors = vectorsOf('member');
    expect(vectors.length).toBeGreaterThan(5);
    for (const vector of vectors) {
      const entry = vector.entry as { type: string; id: string } | null;
      expect(await run(script, vector.member as string), vector.name).toEqual(entry === null ? [] : [entry.type, entry.id]);
    }
  });

  it('widens as widens does', async () => {
    const script = `${LUA_PROTOCOL.widening}\nreturn widens(tonumber(ARGV[1]), tonumber(ARGV[2])) and 1 or 0`;
    for (const vector of vectorsOf('widening')) {
      const held = vector.held as Entry | null;
      const reach = (vector.rank as number | undefined) ?? (reachOf(vector.repeat as Entry) as number);
      const heldReach = held === null ? undefined : reachOf(held);
      expect(await run(script, heldReach === undefined ? '' : String(heldReach), String(reach)), vector.name).toBe(vector.widens ? 1 : 0);
    }
  });

  it('frames every canonical message exactly as the vector has it', async () => {
    const script = `${LUA_PROTOCOL.message}\nlocal changes = {}\nfor i = 4, #ARGV do changes[#changes + 1] = ARGV[i] end\nreturn frame_message(ARGV[1], ARGV[2], ARGV[3], message_body(changes))`;
    expect(canonicalMessages.length).toBeGreaterThan(3);
    for (const vector of canonicalMessages) {
      const [first] = vector.messages as [WireMessage];
      const bodies = vector.messages.map((message) => encodeChange(changeOf(message.change)));
      expect(await run(script, first.epoch, String(first.offset), first.streamId, ...bodies), vector.name).toBe(vector.raw);
    }
  });

  it("appends every canonical stream entry with exactly the vector's fields, and writes offsets as plain digits", async () => {
    const script = `${LUA_PROTOCOL.message}\nredis.call('DEL', KEYS[1])\nlocal id = append_change(KEYS[1], false, ARGV[1], ARGV[2], offset_text(tonumber(ARGV[3])), ARGV[4])\nreturn redis.call('XRANGE', KEYS[1], '-', '+')`;
    const vectors = vectorsOf('log-entry').filter((v) => v.canonical === true);
    expect(vectors.length).toBeGreaterThan(1);
    for (const vector of vectors) {
      const message = vector.message as WireMessage;
      const json = encodeChange(changeOf(message.change));
      expect(await run(script, vector.streamId as string, message.epoch, String(message.offset), json), vector.name).toEqual([
        [vector.streamId, vector.fields],
      ]);
    }
    // 2^53 - 1 in Lua's doubles: tostring would write 9.007199254741e+15.
    const [[, fields]] = (await run(script, '1-1', 'aaaaaaaaaaaaaaaa', '9007199254740991', '{}')) as [[string, string[]]];
    expect(fields).toEqual(encodeLogEntry('aaaaaaaaaaaaaaaa', 9007199254740991, '{}'));
  });
});

describe('every writer publishes and appends what the verifiers decode, as the vectors say', () => {
  let redis: Redis;
  let subscriber: Redis;
  const heard = new Map<string, string[]>();
  const toClose: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    subscriber = new Redis(redisUrl);
    subscriber.on('message', (channel: string, raw: string) => heard.set(channel, [...(heard.get(channel) ?? []), raw]));
  });
  afterAll(async () => {
    for (const closable of toClose) await closable.close();
    subscriber.disconnect();
    redis.disconnect();
  });

  async function listen(keyPrefix: string): Promise<() => string[]> {
    const channel = redisKeys(keyPrefix).channel;
    await subscriber.subscribe(channel);
    return () => heard.get(channel) ?? [];
  }

  async function stream(keyPrefix: string): Promise<Array<[string, string[]]>> {
    return redis.xrange(redisKeys(keyPrefix).log, '-', '+');
  }

  async function headOf(keyPrefix: string): Promise<Head> {
    const source = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 2000, logger: quiet });
    try {
      return await source.head();
    } finally {
      await source.close();
    }
  }

  async function redisStore(keyPrefix: string): Promise<RedisStore> {
    const store = new RedisStore({ redis: redisUrl, keyPrefix, maxTokenTtlMs: TTL_MS, retentionGraceMs: 60_000 });
    toClose.push(store);
    await store.ready();
    return store;
  }

  /**
   * Checks one published message and the stream entries behind it against a
   * vector: the body byte for byte, the header as the head says, each change
   * decoded by decodeMessages and by decodeLogEntry from its own entry.
   */
  async function expectWritten(keyPrefix: string, raw: string, expected: readonly WireMessage[], first: number): Promise<void> {
    const head = await headOf(keyPrefix);
    const entries = (await stream(keyPrefix)).filter(
      ([, fields]) => Number(fields[3]) >= first && Number(fields[3]) < first + expected.length,
    );
    const streamIds = entries.map(([id]) => id);
    expect(streamIds).toHaveLength(expected.length);
    const epoch = head.epoch as string;
    const want = placed(expected, epoch, first, streamIds);
    expect(bodyOf(raw)).toBe(
      expected.length === 1
        ? encodeChange(changeOf((expected[0] as WireMessage).change))
        : `[${expected.map((m) => encodeChange(changeOf(m.change))).join(',')}]`,
    );
    expect(decodeMessages(raw)?.map(wireMessageOf)).toEqual(want);
    for (const [i, [id, fields]] of entries.entries()) {
      const message = want[i] as WireMessage;
      expect(fields).toEqual(encodeLogEntry(epoch, message.offset, encodeChange(changeOf(message.change))));
      expect(wireMessageOf(decodeLogEntry(id, fields) as Message)).toEqual(message);
    }
    expect({ epoch: head.epoch, offset: head.offset, streamId: head.streamId }).toEqual({
      epoch,
      offset: first + expected.length - 1,
      streamId: streamIds.at(-1),
    });
  }

  /**
   * Has a Redis store on a fresh prefix make a vector's change(s) with
   * `write`, then checks the last of the `messages` it published, whose
   * changes start at offset `first`, against the vector.
   */
  async function expectStoreWrites(
    vector: Vector & { messages: WireMessage[] },
    messages: number,
    first: number,
    write: (store: RedisStore, at: number) => Promise<void>,
  ): Promise<void> {
    const keyPrefix = uniquePrefix();
    const published = await listen(keyPrefix);
    await write(await redisStore(keyPrefix), (vector.messages[0] as WireMessage).change.at);
    await waitFor(() => published().length === messages);
    await expectWritten(keyPrefix, published().at(-1) as string, vector.messages, first);
  }

  it('the Redis store: a single revocation (a batch of one) is published as a single message', async () => {
    expect(singles.length).toBeGreaterThan(2);
    for (const vector of singles) {
      await expectStoreWrites(vector, 1, 1, async (store, now) => {
        expect(
          (await store.revoke(planOf((vector.messages[0] as WireMessage).change), { actor: 'contract', now })).changed,
          vector.name,
        ).toBe(true);
      });
    }
  });

  it('the Redis store: a batch is published as one batch message with consecutive offsets and stream ids', async () => {
    expect(batches.length).toBeGreaterThan(0);
    for (const vector of batches) {
      await expectStoreWrites(vector, 1, 1, async (store, now) => {
        const { offsets } = await store.revokeBatch(
          vector.messages.map((message) => planOf(message.change)),
          { actor: 'contract', now },
        );
        expect(offsets, vector.name).toEqual({ first: 1, last: vector.messages.length });
      });
    }
  });

  it('the Redis store: a reinstatement is published as a single message after the revocation', async () => {
    expect(reinstatements.length).toBeGreaterThan(0);
    for (const vector of reinstatements) {
      const { type, id } = (vector.messages[0] as WireMessage).change;
      await expectStoreWrites(vector, 2, 2, async (store, now) => {
        await store.revoke(planFor({ type, id, pruneAt: now + TTL_MS, ...(type === 'subject' ? { cutoff: now } : {}) }, now), {
          actor: 'contract',
          now,
        });
        expect(await store.reinstate(type, id, { actor: 'contract', now }), vector.name).not.toBeNull();
      });
    }
  });

  it('the Redis store: starting a history, pruning and the sub index speak the same meta fields and members', async () => {
    const keyPrefix = uniquePrefix();
    const store = await redisStore(keyPrefix);
    // ENSURE_HISTORY on an empty Redis: a history at offset 0 that verifiers read.
    await waitFor(async () => (await headOf(keyPrefix)).epoch !== null);
    expect(await headOf(keyPrefix)).toEqual({ epoch: expect.stringMatching(/^[0-9a-f]{16}$/), offset: 0, streamId: '0-0' });
    const published = await listen(keyPrefix);
    const now = Date.now();
    const subject = planFor({ type: 'subject', id: 'alice', pruneAt: now - 120_000, cutoff: now - 120_000 - TTL_MS }, now);
    const token = planFor({ type: 'token', id: 'jti:1', pruneAt: now + 600_000 }, now);
    await store.revokeBatch([subject, token], { actor: 'contract', now });
    expect(await store.counts()).toEqual({ token: 1, subject: 1, session: 0 });
    await waitFor(() => published().length === 1);
    const head = await headOf(keyPrefix);
    // Past its prune time plus the retention grace: pruned, and not published (verifiers prune on their own clocks).
    expect(await store.prune(now)).toBe(1);
    expect(await store.counts()).toEqual({ token: 1, subject: 0, session: 0 });
    expect(await redis.hgetall(redisKeys(keyPrefix).cutoffs)).toEqual({});
    expect(await redis.zrange(redisKeys(keyPrefix).entries, 0, -1)).toEqual([memberOf('token', 'jti:1')]);
    expect(await headOf(keyPrefix)).toEqual(head);
    expect(published()).toHaveLength(1);
  });

  it('the projection of the record: a re-seed writes a durable head, and each applied change is a single message', async () => {
    const keyPrefix = uniquePrefix();
    const projection = new RedisProjection({
      redis: redisUrl,
      keyPrefix,
      maxTokenTtlMs: TTL_MS,
      retentionGraceMs: 60_000,
      commandTimeoutMs: 2000,
    });
    toClose.push(projection);
    await projection.ready();
    const epoch = 'c0ffee00c0ffee00';
    const subject = { type: 'subject', id: 'bob', pruneAt: Date.now() + TTL_MS, cutoff: Date.now() } as const;
    await projection.reseed(
      epoch,
      40,
      (async function* () {
        yield [[memberOf(subject.type, subject.id), { pruneAt: subject.pruneAt, cutoff: subject.cutoff }] as const];
      })(),
      (await projection.readAll()).stamp,
    );
    expect(await headOf(keyPrefix)).toEqual({ epoch, offset: 40, streamId: '0-0', durable: true });
    // The verifiers' snapshot reads the re-seeded entries and cutoffs.
    const source = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 2000, logger: quiet });
    const loaded: Entry[] = [];
    await source.snapshot((batch) => loaded.push(...batch));
    await source.close();
    expect(loaded).toEqual([subject]);

    // A Redis-only writer reads the durable mark the re-seed wrote, and refuses.
    await expect(
      (await redisStore(keyPrefix)).revoke(planFor({ type: 'token', id: 'x', pruneAt: Date.now() + 1000 }, Date.now()), {
        actor: 'contract',
        now: Date.now(),
      }),
    ).rejects.toBeInstanceOf(RecordOwnedError);

    const published = await listen(keyPrefix);
    let offset = 40;
    for (const vector of canonicalMessages) {
      const changes = vector.messages.map((message) => message.change);
      const projected = changes.map((change) => ({
        offset: ++offset,
        member: memberOf(change.type, change.id),
        pruneAt: change.op === 'revoke' ? (change.pruneAt as number) : null,
        cutoff: change.cutoff ?? null,
        body: encodeChange(changeOf(change)),
      }));
      const result = await projection.apply(epoch, projected, Date.now());
      expect(result, vector.name).toEqual({ status: 'ok', offset, applied: changes.length });
    }
    await waitFor(() => published().length === offset - 40);
    const all = canonicalMessages.flatMap((vector) => vector.messages);
    const entries = await stream(keyPrefix);
    expect(entries).toHaveLength(all.length);
    for (const [i, raw] of published().entries()) {
      const [id, fields] = entries[i] as [string, string[]];
      const expected = { ...(all[i] as WireMessage), epoch, offset: 41 + i, streamId: id };
      expect(decodeMessages(raw)?.map(wireMessageOf)).toEqual([expected]);
      expect(wireMessageOf(decodeLogEntry(id, fields) as Message)).toEqual(expected);
      expect(fields).toEqual(encodeLogEntry(epoch, expected.offset, bodyOf(raw)));
    }
    expect(await headOf(keyPrefix)).toEqual({ epoch, offset, streamId: entries.at(-1)?.[0], durable: true });
  });

  it('the Redis store: calls made together are published as one batch message, revocations and reinstatements alike', async () => {
    const together = canonicalMessages.filter((v) => v.messages.length > 1);
    expect(together.some((v) => v.messages.some((m) => m.change.op === 'reinstate'))).toBe(true);
    for (const vector of together) {
      const reinstated = vector.messages.filter((m) => m.change.op === 'reinstate').map((m) => m.change);
      // What a reinstatement removes is revoked first, in a message of its own.
      const messages = reinstated.length > 0 ? 2 : 1;
      await expectStoreWrites(vector, messages, reinstated.length + 1, async (store) => {
        if (reinstated.length > 0) {
          const now = Date.now();
          const held = reinstated.map(({ type, id }) =>
            planFor({ type, id, pruneAt: now + TTL_MS, ...(type === 'subject' ? { cutoff: now } : {}) }, now),
          );
          await store.revokeBatch(held, { actor: 'contract', now });
        }
        // Each change its own call, made together, each at its own time.
        const answers = await Promise.all(
          vector.messages.map(({ change }) =>
            change.op === 'revoke'
              ? store.revoke(planOf(change), { actor: 'contract', now: change.at }).then((result) => result.changed)
              : store.reinstate(change.type, change.id, { actor: 'contract', now: change.at }).then((result) => result !== null),
          ),
        );
        expect(answers, vector.name).toEqual(vector.messages.map(() => true));
      });
    }
  });

  it('the projection of the record, coalescing: the changes of one apply call are one message, single or batch, as the vectors say', async () => {
    const keyPrefix = uniquePrefix();
    const projection = new RedisProjection({
      redis: redisUrl,
      keyPrefix,
      maxTokenTtlMs: TTL_MS,
      retentionGraceMs: 60_000,
      commandTimeoutMs: 2000,
      coalesce: true,
    });
    toClose.push(projection);
    await projection.ready();
    const epoch = 'c0ffee00c0ffee01';
    await projection.reseed(epoch, 40, (async function* () {})(), (await projection.readAll()).stamp);
    const published = await listen(keyPrefix);
    let offset = 40;
    for (const [i, vector] of canonicalMessages.entries()) {
      const first = offset + 1;
      const projected = vector.messages.map(({ change }) => ({
        offset: ++offset,
        member: memberOf(change.type, change.id),
        pruneAt: change.op === 'revoke' ? (change.pruneAt as number) : null,
        cutoff: change.cutoff ?? null,
        body: encodeChange(changeOf(change)),
      }));
      expect(await projection.apply(epoch, projected, Date.now()), vector.name).toEqual({
        status: 'ok',
        offset,
        applied: vector.messages.length,
      });
      await waitFor(() => published().length === i + 1);
      await expectWritten(keyPrefix, published()[i] as string, vector.messages, first);
      expect(bodyOf(published()[i] as string), vector.name).toBe(bodyOf(vector.raw));
    }
  });

  it('the memory store: the same messages and stream entries, through its feed', async () => {
    const store = new MemoryStore({ maxTokenTtlMs: TTL_MS, retentionGraceMs: 60_000 });
    const feed: SyncSource = store.feed();
    const published: string[] = [];
    await feed.subscribe(
      (raw) => published.push(raw),
      () => {},
    );
    let offset = 0;
    for (const vector of [...singles, ...batches]) {
      const plans = vector.messages.map((message) => planOf(message.change));
      // Each vector on fresh ids: a repeat of an earlier vector's revocation would change nothing.
      const renamed = plans.map((plan) => ({
        ...plan,
        entry: { ...plan.entry, id: `${plan.entry.id}#${offset}` },
        record: { ...plan.record, id: `${plan.record.id}#${offset}` },
      }));
      await store.revokeBatch(renamed, { actor: 'contract', now: (vector.messages[0] as WireMessage).change.at });
      await waitFor(() => published.length > 0 && decodeMessages(published.at(-1) as string)?.at(-1)?.offset === offset + plans.length);
      const raw = published.at(-1) as string;
      const expected = vector.messages.map((message, i) => ({
        ...message,
        change: { ...message.change, id: `${message.change.id}#${offset}` },
        epoch: (decodeMessages(raw) as Message[])[0]?.epoch as string,
        offset: offset + 1 + i,
        streamId: `0-${offset + 1 + i}`,
      }));
      expect(decodeMessages(raw)?.map(wireMessageOf), vector.name).toEqual(expected);
      expect((await feed.readAfter(`0-${offset}`, 100)).map(wireMessageOf)).toEqual(expected);
      offset += plans.length;
    }
    await feed.close();
  });
});

describe('every store widens as the protocol says', () => {
  const vectors = vectorsOf('widening');

  async function expectWidening(store: RevocationStore): Promise<void> {
    expect(vectors.length).toBeGreaterThan(5);
    for (const [i, vector] of vectors.entries()) {
      const held = vector.held as Entry | null;
      const repeat = vector.repeat as Entry;
      const rank = vector.rank as number | undefined;
      for (const mode of ['one by one', 'in one batch'] as const) {
        // Fresh ids for each case, in one store.
        const rename = (entry: Entry): Entry => ({ ...entry, id: `${entry.id}-${i}-${mode === 'one by one' ? 1 : 2}` });
        const context = { actor: 'contract', now: Date.now() };
        const first = held === null ? undefined : planFor(rename(held), context.now);
        const second = planFor(rename(repeat), context.now, rank);
        let changed: boolean;
        if (mode === 'one by one') {
          if (first !== undefined) expect((await store.revoke(first, context)).changed).toBe(true);
          changed = (await store.revoke(second, context)).changed;
        } else {
          const { results } = await store.revokeBatch(first === undefined ? [second] : [first, second], context);
          changed = (results.at(-1) as { changed: boolean }).changed;
        }
        expect(changed, `${vector.name} (${mode})`).toBe(vector.widens);
        const inForce = await store.get(second.entry.type, second.entry.id);
        const expected = vector.widens ? second.record : (first as RevocationPlan).record;
        expect({ pruneAt: inForce?.pruneAt, cutoff: inForce?.cutoff }, `${vector.name} (${mode}): the revocation in force`).toEqual({
          pruneAt: expected.pruneAt,
          cutoff: expected.cutoff,
        });
      }
    }
  }

  it('the memory store', async () => {
    await expectWidening(new MemoryStore({ maxTokenTtlMs: TTL_MS, retentionGraceMs: 60_000 }));
  });

  it('the Redis store (REVOKE_BATCH and its Lua widens)', async () => {
    const store = new RedisStore({ redis: redisUrl, keyPrefix: uniquePrefix(), maxTokenTtlMs: TTL_MS, retentionGraceMs: 60_000 });
    try {
      await store.ready();
      await expectWidening(store);
    } finally {
      await store.close();
    }
  });

  it('the PostgreSQL record (record_change)', async () => {
    const keyPrefix = uniquePrefix();
    const store = postgresStore({ redisUrl, keyPrefix });
    try {
      await store.ready();
      await expectWidening(store);
    } finally {
      await store.close();
      await sql(`DROP SCHEMA "${keyPrefix}" CASCADE`);
    }
  });
});
