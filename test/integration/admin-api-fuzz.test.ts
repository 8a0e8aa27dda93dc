import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { memberOf, redisKeys } from '@revocast/verifier-sdk/protocol';
import { hasLoneSurrogate, hostileString, INJECTIONS } from '../support/hostile-input.js';
import { ADMIN_SECRET, startService, storeState, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';

/**
 * Seed-fixed: the floors below on how many inputs reached each outcome check
 * the generators, and must not depend on the draw (a random seed once left
 * one of them a hair from its floor).
 */
const FUZZ_SEED = 20261208;

/**
 * Property tests of the admin API, in process against the shared Redis:
 * whatever arrives, the answer is never a 5xx, a refusal is problem+json (a
 * 400 names every bad field), and a refused request writes nothing: the
 * meta hash, entries, cutoffs, details, history stream and per-user index of
 * this suite's key prefix are compared before and after every request, and
 * every change published must match an accepted write.
 */

const redisUrl = inject('redisUrl');
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const nowSeconds = () => Date.now() / 1000;

/** Percent-encodes the UTF-8 bytes of `value`; unlike encodeURIComponent it takes lone surrogates (as U+FFFD). */
function percentEncode(value: string): string {
  return [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

interface Problem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

type Answer = { status: number; json: unknown };

/** The checks every answer must pass. */
async function checkAnswer(res: Response, allowed: readonly number[]): Promise<Answer> {
  const text = await res.text();
  expect(res.status, `never a 5xx: ${text}`).toBeLessThan(500);
  expect(allowed, text).toContain(res.status);
  if (res.status < 400) return { status: res.status, json: JSON.parse(text) as unknown };
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(text) as Problem;
  expect(problem).toMatchObject({
    status: res.status,
    code: expect.stringMatching(/^ERR_[A-Z_]+$/),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (res.status === 400) {
    expect(problem.code).toBe('ERR_VALIDATION');
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const error of problem.errors ?? []) {
      expect(typeof error.field).toBe('string');
      expect(problem.detail).toContain(`${error.field}: ${error.message}`);
    }
  }
  return { status: res.status, json: problem };
}

// ---- generators ----------------------------------------------------------

/** Ids the API must take and give back unchanged: 1 to 256 UTF-16 units, no control characters, well-formed. */
const validId = hostileString.filter(
  (value) => value.length >= 1 && value.length <= 200 && !/[\u0000-\u001f\u007f-\u009f]/.test(value) && !hasLoneSurrogate(value),
);
const validReason = hostileString.filter((value) => value.length <= 500 && !/[\u0000-\u001f\u007f-\u009f]/.test(value));
const futureExp = fc.double({ min: 1, max: 5 * 365 * 86400, noNaN: true }).map((ahead) => Math.floor(nowSeconds()) + ahead);

/** Valid revocation requests of each type; ids get a unique suffix so each is new. */
const validRevocation = fc.oneof(
  fc.record(
    { type: fc.constant('token'), jti: validId, exp: futureExp, sub: validId, reason: validReason },
    { requiredKeys: ['type', 'jti', 'exp'] },
  ),
  fc.record(
    {
      type: fc.constant('subject'),
      sub: validId,
      before: fc.double({ min: 1, max: 100_000, noNaN: true }).map((ago) => nowSeconds() - ago),
      reason: validReason,
    },
    { requiredKeys: ['type', 'sub'] },
  ),
  fc.record(
    { type: fc.constant('session'), sid: validId, exp: futureExp, sub: validId, reason: validReason },
    { requiredKeys: ['type', 'sid'] },
  ),
);

const FIELDS = ['type', 'jti', 'sub', 'sid', 'exp', 'before', 'reason'];

/** Values of every JSON type and then some: wrong types, edge numbers, hostile strings. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, 2 ** 53 + 1, 0.5, '', [], {}, '1700000000', 'token', 'subject', 'session'),
);

/** A valid request with one field removed, replaced by any value, or a key added (`__proto__` and "" included). */
const nearlyValid = fc
  .tuple(
    validRevocation,
    fc.constantFrom(...FIELDS, '__proto__', 'constructor', '', 'admin', 'offset'),
    fc.option(anyValue, { nil: undefined }),
  )
  .map(([body, field, value]) => {
    const copy: Record<string, unknown> = { ...body };
    if (value === undefined) delete copy[field];
    // defineProperty, so "__proto__" becomes a key of the JSON text rather than the prototype.
    else Object.defineProperty(copy, field, { value, enumerable: true, configurable: true, writable: true });
    return JSON.stringify(copy);
  });

const deeplyNested = fc
  .tuple(fc.integer({ min: 1, max: 7000 }), fc.constantFrom('[', '{"a":'), fc.constantFrom('jti', 'exp', 'type', 'reason', 'extra'))
  .map(([depth, open, field]) => {
    const close = open === '[' ? ']' : '}';
    return `{"type":"token","jti":"x","exp":2000000000,"${field}":${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}}`;
  });

const huge = fc.oneof(
  fc.integer({ min: 16_000, max: 300_000 }).map((size) => JSON.stringify({ type: 'token', jti: 'a', exp: 2e9, reason: 'x'.repeat(size) })),
  fc
    .integer({ min: 100, max: 3000 })
    .map((count) => JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i])))),
  fc.integer({ min: 300, max: 20_000 }).map((count) => JSON.stringify({ type: 'session', sid: '\u{1F600}'.repeat(count) })),
);

const oddNumbers = fc
  .tuple(
    fc.constantFrom('exp', 'before'),
    fc.constantFrom('1e400', '-1e400', '-0', '0', '1e-400', '9007199254740993', '253402300800', '253402300799.5', '0.000001', '1E3'),
  )
  .map(
    ([field, number]) =>
      `{"type":"${field === 'exp' ? 'token' : 'subject'}",${field === 'exp' ? '"jti"' : '"sub"'}:"n","${field}":${number}}`,
  );

const bodyText = fc.oneof(
  { arbitrary: nearlyValid, weight: 5 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)), weight: 2 },
  { arbitrary: fc.json({ maxDepth: 3 }).chain((text) => fc.nat(text.length).map((cut) => text.slice(0, cut))), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
  { arbitrary: deeplyNested, weight: 1 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: oddNumbers, weight: 1 },
);

type Encoding = 'identity' | 'gzip' | 'gzip garbage' | 'deflate garbage' | 'br garbage' | 'br' | 'unknown';

const request = fc.record({
  text: bodyText,
  contentType: fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 8 },
    {
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json; charset=bogus',
        'APPLICATION/JSON',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/merge-patch+json',
        'multipart/form-data; boundary=x',
        '',
      ),
      weight: 2,
    },
  ),
  encoding: fc.oneof(
    { arbitrary: fc.constant<Encoding>('identity'), weight: 8 },
    { arbitrary: fc.constantFrom<Encoding>('gzip', 'gzip garbage', 'deflate garbage', 'br garbage', 'br', 'unknown'), weight: 2 },
  ),
});

function encodeBody(text: string, encoding: Encoding): { body: Uint8Array; header?: string } {
  const raw = Buffer.from(text);
  switch (encoding) {
    case 'identity':
      return { body: raw };
    case 'gzip':
      return { body: gzipSync(raw), header: 'gzip' };
    case 'br':
      return { body: brotliCompressSync(raw), header: 'br' };
    case 'gzip garbage':
      return { body: raw, header: 'gzip' };
    case 'deflate garbage':
      return { body: raw.subarray(0, 10), header: 'deflate' };
    case 'br garbage':
      return { body: Buffer.concat([deflateSync(raw), raw]), header: 'br' };
    case 'unknown':
      return { body: raw, header: 'x-rot13' };
  }
}

/** Query strings: known and unknown keys, repeated keys, hostile values, forged and damaged cursors, raw or encoded. */
const cursorValue = fc.oneof(
  hostileString,
  fc.base64String({ maxLength: 80 }),
  fc.jsonValue({ maxDepth: 2 }).map((value) => b64(JSON.stringify(value))),
  fc
    .oneof(
      fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
      fc.bigInt({ min: 2n ** 63n, max: 2n ** 66n }).map(String),
      hostileString,
      fc.jsonValue({ maxDepth: 1 }),
      fc.constantFrom('18446744073709551615', '18446744073709551616', '-1', '0x10', ' 1'),
    )
    .map((c) => b64(JSON.stringify({ c }))),
  fc.oneof(hostileString, fc.jsonValue({ maxDepth: 1 }), fc.string({ maxLength: 3000 })).map((m) => b64(JSON.stringify({ m }))),
);
const queryKey = fc.oneof(
  fc.constantFrom('type', 'sub', 'limit', 'cursor', 'page', 'reason', '__proto__', 'constructor', '', 'limit[]', 'type[0]'),
  hostileString,
);
const queryValue = fc.oneof(
  fc.constantFrom('token', 'subject', 'session', '0', '1', '1000', '1001', '-1', '1e3', '0x10', ' 5', '5 ', '', '10000'),
  hostileString,
  cursorValue,
  fc.string({ maxLength: 5000 }),
);
const queryPair = fc.oneof(fc.tuple(queryKey, queryValue, fc.boolean()), fc.tuple(fc.constant('cursor'), cursorValue, fc.constant(false)));
const queryString = fc.oneof(
  fc
    .tuple(fc.array(queryPair, { maxLength: 5 }), fc.boolean())
    .map(([pairs, raw]) =>
      pairs
        .map(([key, value, alsoRaw]) => (raw && alsoRaw ? `${key}=${value}` : `${percentEncode(key)}=${percentEncode(value)}`))
        .join('&'),
    ),
  // A forged cursor alone or with valid filters, so it reaches the store.
  fc
    .tuple(fc.constantFrom('', 'type=token&', 'type=session&', 'sub=alice&', 'limit=5&'), cursorValue)
    .map(([filters, cursor]) => `${filters}cursor=${percentEncode(cursor)}`),
);

const pathSegment = fc.oneof(
  fc.constantFrom('token', 'subject', 'session'),
  hostileString.map(percentEncode),
  hostileString.filter((value) => !/[/?#]/.test(value)),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%2F', '%2e%2e', '..', '.', '%00', '%FF', '%ED%A0%80', '%uD800', '%%32%65'),
);

// ---- the suite -------------------------------------------------------------

describe('admin API under attack (property tests against Redis)', () => {
  const keyPrefix = uniquePrefix();
  const keys = redisKeys(keyPrefix);
  let service: ServiceHandle;
  let redis: Redis;
  let subscriber: Redis;
  let published = 0;
  /** Accepted changes: 201 revocations and 200 reinstatements. */
  let writes = 0;
  const runs: string[] = [];
  const seeded: Array<{ type: string; id: string }> = [];

  async function send(
    method: string,
    path: string,
    init: { body?: Uint8Array | string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return fetch(service.url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  }

  /** Sends one request and checks the answer and what it did to Redis. */
  async function exchange(
    method: string,
    path: string,
    allowed: readonly number[],
    init: Parameters<typeof send>[2] = {},
  ): Promise<Answer> {
    const before = await storeState(redis, keyPrefix);
    const answer = await checkAnswer(await send(method, path, init), allowed);
    const after = await storeState(redis, keyPrefix);
    const wrote = answer.status === 201 || (method === 'DELETE' && answer.status === 200);
    if (wrote) {
      writes++;
      expect(Number(after.meta.offset)).toBe(Number(before.meta.offset ?? 0) + 1);
      expect(after.log).toBeGreaterThanOrEqual(before.log);
    } else {
      expect(after, `${method} ${path} answered ${answer.status} and must not write`).toEqual(before);
    }
    return answer;
  }

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    redis = new Redis(redisUrl);
    subscriber = new Redis(redisUrl);
    await subscriber.subscribe(keys.channel);
    subscriber.on('message', () => published++);
    // Revocations the path properties can hit, so a DELETE sometimes finds one.
    for (const [i, id] of INJECTIONS.filter((value) => !/[\u0000-\u001f\u007f-\u009f]/.test(value) && !hasLoneSurrogate(value)).entries()) {
      const type = (['token', 'subject', 'session'] as const)[i % 3] as 'token' | 'subject' | 'session';
      const idField = type === 'token' ? 'jti' : type === 'session' ? 'sid' : 'sub';
      const body = JSON.stringify({ type, [idField]: id, ...(type === 'token' ? { exp: 2e9 } : {}) });
      await exchange('POST', '/v1/revocations', [201], { body, headers: { 'content-type': 'application/json' } });
      seeded.push({ type, id });
    }
  });

  afterAll(async () => {
    console.log(`admin API property runs:\n${runs.map((line) => `  ${line}`).join('\n')}`);
    subscriber?.disconnect();
    redis?.disconnect();
    await service?.close();
  });

  it('answers any POST body with a 2xx or a problem, and a refused one writes nothing', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ text, contentType, encoding }) => {
        const { body, header } = encodeBody(text, encoding);
        const headers: Record<string, string> = {
          'content-type': contentType,
          ...(header === undefined ? {} : { 'content-encoding': header }),
        };
        const answer = await exchange('POST', '/v1/revocations', [200, 201, 400, 413, 415], { body, headers });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }),
      {
        seed: FUZZ_SEED,
        numRuns: 400,
        // Found by this property: bodies that do not inflate were answered 500.
        examples: [
          [{ text: '{}', contentType: 'application/json', encoding: 'br garbage' }],
          [{ text: '{}', contentType: 'application/json', encoding: 'gzip garbage' }],
        ],
      },
    );
    runs.push(
      `POST bodies: ${[...statuses]
        .sort()
        .map(([status, count]) => `${count}× ${status}`)
        .join(', ')}`,
    );
    expect(statuses.get(400)).toBeGreaterThan(100);
  });

  it('answers any list query with a page or a 400 naming the parameter, and writes nothing', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(queryString, async (query) => {
        const answer = await exchange('GET', `/v1/revocations?${query}`, [200, 400]);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200) {
          const page = answer.json as { items: unknown[]; nextCursor: string | null };
          expect(Array.isArray(page.items)).toBe(true);
          // A cursor the API hands out is always accepted back.
          if (page.nextCursor !== null) await exchange('GET', `/v1/revocations?cursor=${page.nextCursor}`, [200]);
        }
      }),
      // Found by this property: a forged cursor past 64 bits was answered 503.
      { seed: FUZZ_SEED, numRuns: 250, examples: [[`cursor=${b64(JSON.stringify({ c: '18446744073709551616' }))}`]] },
    );
    runs.push(
      `list queries: ${[...statuses]
        .sort()
        .map(([status, count]) => `${count}× ${status}`)
        .join(', ')}`,
    );
  });

  it('answers any path and method with a result or a problem, and only a found DELETE writes', async () => {
    const statuses = new Map<string, number>();
    const seededPath = fc.constantFrom(...seeded).map(({ type, id }) => `${type}/${percentEncode(id)}`);
    const target = fc.oneof(
      seededPath,
      fc.tuple(pathSegment, pathSegment).map(([type, id]) => `${type}/${id}`),
      fc.tuple(pathSegment, pathSegment, pathSegment).map((parts) => parts.join('/')),
    );
    const reinstateQuery = fc.oneof(
      fc.constant(''),
      queryString.map((query) => `?${query}`),
      validReason.map((reason) => `?reason=${percentEncode(reason)}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'DELETE', 'DELETE', 'POST', 'PUT', 'PATCH'),
        target,
        reinstateQuery,
        async (method, path, query) => {
          // 405 where the path is a documented one (/v1/revocations/{type}/{id}, or /v1/revocations/ and /batch/ when segments are empty) served without this method.
          const allowed = method === 'GET' || method === 'DELETE' ? [200, 400, 404, 405] : [400, 404, 405, 415];
          const init = method === 'GET' || method === 'DELETE' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } };
          const answer = await exchange(method, `/v1/revocations/${path}${query}`, allowed, init);
          statuses.set(`${method} ${answer.status}`, (statuses.get(`${method} ${answer.status}`) ?? 0) + 1);
        },
      ),
      // Found by this property: a path segment that is not valid percent-encoding was answered 500.
      {
        seed: FUZZ_SEED,
        numRuns: 300,
        examples: [
          ['GET', 'token/%', ''],
          ['DELETE', 'session/%E0%A4%A', '?reason=x'],
        ],
      },
    );
    runs.push(
      `paths: ${[...statuses]
        .sort()
        .map(([kind, count]) => `${count}× ${kind}`)
        .join(', ')}`,
    );
  });

  it('answers any Authorization header that is not the key with 401 (429 once its address failed too often), writing nothing', async () => {
    // Header values as an HTTP client can send them: Latin-1 without controls, no surrounding whitespace.
    const headerValue = fc
      .string({
        unit: fc
          .integer({ min: 0x20, max: 0xff })
          .filter((code) => code < 0x7f || code > 0x9f)
          .map((code) => String.fromCharCode(code)),
        maxLength: 100,
      })
      .map((value) => value.trim());
    const authorization = fc.oneof(
      headerValue,
      headerValue.map((value) => `Bearer ${value}`),
      fc.constantFrom(`Bearer ${ADMIN_SECRET} x`, `Basic ${b64(`tests:${ADMIN_SECRET}`)}`, `Bearer  ${ADMIN_SECRET.slice(1)}`),
    );
    let count = 0;
    await fc.assert(
      fc.asyncProperty(
        authorization.map((value) => value.trim()).filter((value) => value !== `Bearer ${ADMIN_SECRET}`),
        async (value) => {
          count++;
          const body = JSON.stringify({ type: 'token', jti: 'auth-fuzz', exp: 2e9 });
          await exchange('POST', '/v1/revocations', [401, 429], {
            body,
            headers: { 'content-type': 'application/json', authorization: value },
          });
        },
      ),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
    runs.push(`${count} forged Authorization headers: all 401 or 429`);
  });

  it('names a present field of the wrong type as wrong, never as missing', async () => {
    let count = 0;
    const wrongType = fc.tuple(
      fc.constantFrom(
        ['token', 'jti'],
        ['token', 'exp'],
        ['token', 'sub'],
        ['token', 'reason'],
        ['subject', 'sub'],
        ['subject', 'before'],
        ['session', 'sid'],
        ['session', 'exp'],
      ),
      fc.oneof(fc.constantFrom(null, true, [], {}, [1], { a: 1 }), fc.integer(), hostileString),
    );
    await fc.assert(
      fc.asyncProperty(wrongType, async ([[type, field], value]) => {
        const isNumberField = field === 'exp' || field === 'before';
        fc.pre(isNumberField ? typeof value !== 'number' : typeof value !== 'string');
        count++;
        const base: Record<string, unknown> = { type, token: { jti: 'w', exp: 2e9 }, subject: { sub: 'w' }, session: { sid: 'w' } }[
          type
        ] as Record<string, unknown>;
        const body = JSON.stringify({ type, ...base, [field]: value });
        const answer = await exchange('POST', '/v1/revocations', [400], { body, headers: { 'content-type': 'application/json' } });
        const error = (answer.json as Problem).errors?.find((e) => e.field === field);
        expect(error, `no error names ${field}`).toBeDefined();
        expect(error?.message).not.toBe('is required');
      }),
      // Found by this property: every wrong-typed field was reported as "is required".
      { seed: FUZZ_SEED, numRuns: 150, examples: [[[['token', 'jti'], null]], [[['token', 'exp'], 'tomorrow']]] },
    );
    const repeated = await exchange('GET', '/v1/revocations?limit=1&limit=2', [400]);
    expect((repeated.json as Problem).errors).toContainEqual({ field: 'limit', message: 'must be given once' });
    runs.push(`${count} fields of the wrong type: each named as wrong`);
  });

  it('gives back every valid revocation as stored, and a repeat changes nothing', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(validRevocation, async (input) => {
        count++;
        const idField = input.type === 'token' ? 'jti' : input.type === 'session' ? 'sid' : 'sub';
        const id = `${(input as unknown as Record<string, string>)[idField]}~${count}`;
        const body = { ...input, [idField]: id } as Record<string, unknown>;
        const json = { 'content-type': 'application/json' };
        const created = await exchange('POST', '/v1/revocations', [201], { body: JSON.stringify(body), headers: json });
        const record = created.json as Record<string, unknown>;
        expect(record).toMatchObject({ type: input.type, [idField]: id, revokedBy: 'tests' });
        for (const field of ['sub', 'exp', 'reason'] as const)
          if (field in body && !(input.type === 'subject' && field === 'sub')) expect(record[field]).toBe(body[field]);
        if (body.before !== undefined) expect(record.before).toBe(Math.round((body.before as number) * 1000) / 1000);
        expect(await redis.zscore(keys.entries, memberOf(input.type, id))).not.toBeNull();

        const shown = await exchange('GET', `/v1/revocations/${input.type}/${percentEncode(id)}`, [200]);
        expect(shown.json).toEqual(record);

        // The same request again, with the cutoff the first one recorded when it had none.
        const again = input.type === 'subject' && body.before === undefined ? { ...body, before: record.before } : body;
        const repeat = await exchange('POST', '/v1/revocations', [200], { body: JSON.stringify(again), headers: json });
        expect(repeat.json).toEqual(record);

        const owner = input.type === 'subject' ? id : (body.sub as string | undefined);
        if (owner !== undefined) {
          const listed = await exchange('GET', `/v1/revocations?sub=${percentEncode(owner)}&limit=1000`, [200]);
          expect((listed.json as { items: unknown[] }).items).toContainEqual(record);
        }
      }),
      { seed: FUZZ_SEED, numRuns: 100 },
    );
    runs.push(`${count} valid revocations: stored, shown, listed and repeated unchanged`);
  });

  it('keeps two different ids apart: both are recorded, or one is refused', async () => {
    let count = 0;
    const lookalike = hostileString.map((value) => [value, value.replace(/[\ud800-\udfff]/gu, '\ufffd')] as const);
    await fc.assert(
      fc.asyncProperty(fc.oneof(lookalike, fc.tuple(hostileString, hostileString)), async ([a, b]) => {
        fc.pre(a !== b);
        count++;
        const suffix = `#${count}`;
        const statuses: number[] = [];
        for (const jti of [a + suffix, b + suffix]) {
          const body = JSON.stringify({ type: 'token', jti, exp: 2e9 });
          statuses.push(
            (await exchange('POST', '/v1/revocations', [201, 400, 413], { body, headers: { 'content-type': 'application/json' } })).status,
          );
        }
        if (!statuses.includes(400) && !statuses.includes(413)) expect(statuses).toEqual([201, 201]);
      }),
      // Found by this property: "\udfff" and "\ufffd" were stored as one id (UTF-8 has no lone surrogates).
      { seed: FUZZ_SEED, numRuns: 100, examples: [[['\udfff', '\ufffd']], [['a\ud800', 'a\ufffd']]] },
    );
    runs.push(`${count} pairs of different ids: never merged into one revocation`);
  });

  it('published exactly one change per accepted write', async () => {
    await waitFor(() => published === writes, 5000);
    expect(published).toBe(writes);
    expect(writes).toBeGreaterThan(300);
    runs.push(`${writes} accepted writes, ${published} changes published`);
  });
});
