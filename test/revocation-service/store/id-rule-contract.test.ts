import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_ID_LENGTH, idProblem, memberOf, redisKeys, type RevocationType } from '@revocast/verifier-sdk/protocol';
import { MemoryStore, RedisStore } from '@revocast/revocation-service';
import { planRevocation, type RevocationInput } from '../../../revocation-service/src/model/revocation.js';
import { LUA_VALID_ID } from '../../../revocation-service/src/store/lua-id-rule.js';
import { REINSTATE, REVOKE_BATCH } from '../../../revocation-service/src/store/lua-scripts.js';
import { APPLY } from '../../../revocation-service/src/store/projection-scripts.js';
import { tables } from '../../../revocation-service/src/store/postgres/migrations.js';
import { validIdFunction } from '../../../revocation-service/src/store/postgres/sql-id-rule.js';
import { InvalidIdError, type RevocationStore } from '../../../revocation-service/src/store/revocation-store.js';
import { MAX_TOKEN_TTL, postgresStore, sql, storeState, uniquePrefix } from '../../support/fixtures.js';
import { boundaryIds, hasLoneSurrogate, idCandidate, INJECTIONS } from '../../support/hostile-input.js';

/**
 * The id rule exists in three languages: `idProblem` (TypeScript), the Lua
 * function the Redis writers run and the SQL function behind the record's
 * CHECK constraints. These tests feed all three the same ids and demand the
 * same verdict, then show that every writer refuses (and does not store) an
 * id the rule rejects, even when the route's validation is skipped.
 */

const redisUrl = inject('redisUrl');

/**
 * The bytes a lone surrogate would have in a naive encoder (generalised
 * UTF-8, "WTF-8"), which a careless client could send to Redis; Buffer.from
 * would turn it into U+FFFD instead.
 */
function wtf8(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    let cp = unit;
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      cp = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Buffer.from(bytes);
}

describe('the id rule is the same in TypeScript, Lua and SQL', () => {
  let redis: Redis;
  const schema = `ids_${uniquePrefix()}`;

  beforeAll(async () => {
    redis = new Redis(redisUrl);
    await sql(`CREATE SCHEMA "${schema}"`);
    await sql(validIdFunction(tables(schema)));
  });
  afterAll(async () => {
    redis.disconnect();
    await sql(`DROP SCHEMA "${schema}" CASCADE`);
  });

  const lua = async (value: string | Buffer) =>
    (await redis.eval(`${LUA_VALID_ID}\nif valid_id(ARGV[1]) then return 1 else return 0 end`, 0, value)) === 1;
  const sqlVerdict = async (value: string) =>
    (await sql<{ ok: boolean }>(`SELECT "${schema}".valid_id($1) AS ok`, [value]))[0]?.ok === true;

  /** PostgreSQL text cannot hold NUL or a lone surrogate at all; those only reach Lua, as raw bytes. */
  async function agree(value: string): Promise<void> {
    const js = idProblem(value) === undefined;
    if (hasLoneSurrogate(value)) {
      expect(js, 'a lone surrogate is refused').toBe(false);
      expect(await lua(wtf8(value)), 'an encoded surrogate is refused').toBe(false);
      return;
    }
    expect(await lua(value), `Lua agrees on ${JSON.stringify(value)}`).toBe(js);
    if (!value.includes('\u0000')) expect(await sqlVerdict(value), `SQL agrees on ${JSON.stringify(value)}`).toBe(js);
  }

  it('agrees at the length limit, counted in UTF-16 code units', async () => {
    for (const value of boundaryIds(MAX_ID_LENGTH)) await agree(value);
    expect(idProblem('😀'.repeat(128))).toBeUndefined();
    expect(idProblem('😀'.repeat(129))).toMatch(/UTF-16 code units/);
  });

  it('agrees on injections, controls and surrogates', async () => {
    for (const value of [...INJECTIONS, '', 'a\u0080', 'a\u009f', 'a\u00a0', '\u{1f600}\u0301', '\ufffd']) await agree(value);
  });

  it('agrees on any generated id', async () => {
    await fc.assert(fc.asyncProperty(idCandidate(MAX_ID_LENGTH), agree), { numRuns: 300 });
  });

  it('Lua refuses bytes that are not well-formed UTF-8', async () => {
    for (const bytes of [
      [0xff],
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0x61, 0xe2, 0x82],
      [0x80],
    ]) {
      expect(await lua(Buffer.from(bytes)), Buffer.from(bytes).toString('hex')).toBe(false);
    }
  });
});

const BAD_IDS = ['😀'.repeat(129), 'a'.repeat(MAX_ID_LENGTH + 1), 'a\u0000b', 'a\u0085', '\ud800x', 'x\udfff', ''];

function plan(input: RevocationInput) {
  return planRevocation(input, { now: Date.now(), maxTokenTtlMs: MAX_TOKEN_TTL * 1000, actor: 'tests' });
}

const exp = () => Math.floor(Date.now() / 1000) + 600;
const inputsWith = (id: string): RevocationInput[] => [
  { type: 'token', jti: id, exp: exp() },
  { type: 'token', jti: 'fine', exp: exp(), sub: id },
  { type: 'subject', sub: id },
  { type: 'session', sid: id },
];

async function expectRefused(store: RevocationStore, before: () => Promise<unknown>): Promise<void> {
  const initial = await before();
  for (const id of BAD_IDS) {
    for (const input of inputsWith(id)) {
      const context = { actor: 'tests', now: Date.now() };
      await expect(store.revoke(plan(input), context), JSON.stringify(input)).rejects.toBeInstanceOf(InvalidIdError);
      await expect(store.revokeBatch([plan({ type: 'token', jti: 'ok-first', exp: exp() }), plan(input)], context)).rejects.toBeInstanceOf(
        InvalidIdError,
      );
    }
    for (const type of ['token', 'subject', 'session'] as RevocationType[]) {
      await expect(store.reinstate(type, id, { actor: 'tests', now: Date.now() })).rejects.toBeInstanceOf(InvalidIdError);
    }
  }
  expect(await before(), 'nothing was stored').toEqual(initial);
}

describe('every writer refuses an id the rule rejects', () => {
  it('the memory store', async () => {
    const store = new MemoryStore({ maxTokenTtlMs: MAX_TOKEN_TTL * 1000, retentionGraceMs: 60_000 });
    await expectRefused(store, () => store.counts());
  });

  it('the Redis store, and its Lua scripts when called directly', async () => {
    const keyPrefix = uniquePrefix();
    const store = new RedisStore({ redis: redisUrl, keyPrefix, maxTokenTtlMs: MAX_TOKEN_TTL * 1000, retentionGraceMs: 60_000 });
    const redis = new Redis(redisUrl);
    try {
      await store.ready();
      await expectRefused(store, () => storeState(redis, keyPrefix));
      // Past the TypeScript check: the scripts themselves refuse before writing.
      const k = redisKeys(keyPrefix);
      const keys = [k.meta, k.entries, k.cutoffs, k.details, k.log, k.bySub];
      const before = await storeState(redis, keyPrefix);
      for (const id of ['😀'.repeat(129), 'a\u0085', 'a\u0001']) {
        const change = JSON.stringify({ op: 'revoke', type: 'token', id, at: 1, pruneAt: 2 });
        // A single revocation is a batch of one.
        const args = [
          'aaaaaaaaaaaaaaaa',
          '0-0',
          k.channel,
          '1',
          'PUBLISH',
          memberOf('token', id),
          'token',
          id,
          '2',
          '2',
          '',
          '{"type":"token"}',
          change,
          '',
        ];
        await expect(redis.eval(REVOKE_BATCH, keys.length, ...keys, ...args)).rejects.toThrow(/REVOCAST_INVALID_ID items\.0\.jti$/);
        await expect(
          redis.eval(
            REINSTATE,
            keys.length,
            ...keys,
            memberOf('token', id),
            'token',
            id,
            change,
            'aaaaaaaaaaaaaaaa',
            '0-0',
            k.channel,
            'PUBLISH',
          ),
        ).rejects.toThrow(/REVOCAST_INVALID_ID id$/);
        // The projection of the PostgreSQL record refuses it too, before reading anything.
        await expect(
          redis.eval(
            APPLY,
            4,
            k.meta,
            k.entries,
            k.cutoffs,
            k.log,
            'aaaaaaaaaaaaaaaa',
            '0-0',
            k.channel,
            'PUBLISH',
            '1',
            memberOf('token', id),
            '2',
            '',
            change,
          ),
        ).rejects.toThrow(/REVOCAST_INVALID_ID id$/);
      }
      expect(await storeState(redis, keyPrefix)).toEqual(before);
    } finally {
      redis.disconnect();
      await store.close();
    }
  });

  it('the PostgreSQL record, and its CHECK constraints when written directly', async () => {
    const keyPrefix = uniquePrefix();
    const store = postgresStore({ redisUrl, keyPrefix });
    try {
      await store.ready();
      const count = async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${keyPrefix}".revocations`))[0]?.n;
      await expectRefused(store, count);
      for (const id of ['😀'.repeat(129), 'a\u0085', 'a\u0001']) {
        await expect(
          sql(`SELECT * FROM "${keyPrefix}".record_change($1, 'token', $2, NULL, 2, NULL, 2, '{}'::jsonb, '{}', 1)`, [
            memberOf('token', id),
            id,
          ]),
        ).rejects.toThrow(/revocations_id_valid/);
        await expect(
          sql(`SELECT * FROM "${keyPrefix}".record_change('jti:ok', 'token', 'ok', $1, 2, NULL, 2, '{}'::jsonb, '{}', 1)`, [id]),
        ).rejects.toThrow(/revocations_sub_valid/);
      }
      expect(await count()).toBe(0);
    } finally {
      await store.close();
      await sql(`DROP SCHEMA "${keyPrefix}" CASCADE`);
    }
  });
});
