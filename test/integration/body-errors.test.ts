import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTokenInspector } from '@revocast/revocation-service';
import { bodyProblem } from '../../revocation-service/src/http/body-errors.js';
import { ADMIN_SECRET, startService, storeState, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';

/**
 * Bodies that cannot be read or parsed are refused with a 4xx in the
 * format of the endpoint: problem+json on /v1, the console's own page on
 * /admin, RFC 6749 `{error, error_description}` on /oauth2. Never a 500.
 */

const redisUrl = inject('redisUrl');
const auth = { authorization: `Bearer ${ADMIN_SECRET}` };
const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=${i}`).join('&');
const FORM = 'application/x-www-form-urlencoded';

/** The `type`s body-parser and raw-body give their errors, read from their sources, so a new one cannot slip by. */
function parserErrorTypes(): string[] {
  const files = ['body-parser/lib/read.js', 'body-parser/lib/types/urlencoded.js', 'body-parser/lib/types/json.js', 'raw-body/index.js'];
  const types = new Set<string>();
  for (const file of files) {
    const text = readFileSync(new URL(`../../node_modules/${file}`, import.meta.url), 'utf8');
    for (const match of text.matchAll(/type:\s*(?:err\.type\s*\|\|\s*)?'([a-z.A-Z]+)'/g)) types.add(match[1] as string);
  }
  return [...types];
}

describe('every body-parser error type has a 4xx answer', () => {
  it('maps each type found in body-parser and raw-body to a 4xx', () => {
    const types = parserErrorTypes();
    expect(types).toEqual(
      expect.arrayContaining(['entity.too.large', 'parameters.too.many', 'entity.parse.failed', 'charset.unsupported', 'request.aborted']),
    );
    for (const type of types) {
      for (const kind of ['JSON', 'form'] as const) {
        const problem = bodyProblem({ type, status: 500, limit: 10 }, kind);
        expect(problem, type).toBeDefined();
        expect(problem?.status, type).toBeGreaterThanOrEqual(400);
        expect(problem?.status, type).toBeLessThan(500);
      }
    }
  });
});

describe('body errors over HTTP, in each endpoint format', () => {
  let service: ServiceHandle;
  let redis: Redis;
  const keyPrefix = uniquePrefix();

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix,
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: 'an-hmac-secret-for-the-oauth-tests-0123456789' }),
    });
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    redis.disconnect();
    await service.close();
  });

  async function problem(res: Response, status: number): Promise<{ code: string; detail: string; errors?: Array<{ field: string }> }> {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return JSON.parse(text) as { code: string; detail: string };
  }

  async function oauthError(res: Response, status: number): Promise<void> {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(text)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  }

  async function consolePage(res: Response, status: number): Promise<void> {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  }

  const post = (path: string, body: string | Buffer, headers: Record<string, string>) =>
    fetch(service.url + path, { method: 'POST', body, headers: { ...auth, ...headers } });

  it('25 form fields to /admin/login are answered 400 on the console page, not 500', async () => {
    await consolePage(
      await fetch(`${service.url}/admin/login`, { method: 'POST', body: fields(25), headers: { 'content-type': FORM } }),
      400,
    );
  });

  it('more than 10 form fields to /oauth2/* are answered 400 invalid_request', async () => {
    for (const path of ['/oauth2/revoke', '/oauth2/introspect'])
      await oauthError(await post(path, fields(11), { 'content-type': FORM }), 400);
  });

  it('an oversized body is 413 in each format', async () => {
    const big = `token=${'a'.repeat(20_000)}`;
    await oauthError(await post('/oauth2/revoke', big, { 'content-type': FORM }), 413);
    await consolePage(await fetch(`${service.url}/admin/login`, { method: 'POST', body: big, headers: { 'content-type': FORM } }), 413);
    const json = JSON.stringify({ type: 'token', jti: 'x', exp: 2e9, reason: 'a'.repeat(20_000) });
    expect((await problem(await post('/v1/revocations', json, { 'content-type': 'application/json' }), 413)).code).toBe(
      'ERR_BODY_TOO_LARGE',
    );
  });

  it('charsets other than UTF-8 are refused with 415 naming the charset', async () => {
    const json = JSON.stringify({ type: 'token', jti: 'latin', exp: 2e9 });
    for (const charset of ['iso-8859-1', 'utf-16', 'utf-16le', 'latin1', 'koi8-r', 'no-such-charset']) {
      const answer = await problem(await post('/v1/revocations', json, { 'content-type': `application/json; charset=${charset}` }), 415);
      expect(answer.detail).toMatch(/UTF-8/);
    }
    expect((await post('/v1/revocations', json, { 'content-type': 'application/json; charset=UTF-8' })).status).toBe(201);
    await oauthError(await post('/oauth2/introspect', 'token=x', { 'content-type': `${FORM}; charset=iso-8859-1` }), 415);
    await consolePage(
      await fetch(`${service.url}/admin/login`, {
        method: 'POST',
        body: 'key=x',
        headers: { 'content-type': `${FORM}; charset=iso-8859-1` },
      }),
      415,
    );
  });

  it('invalid UTF-8 in a JSON body is answered 400 and stores nothing', async () => {
    const before = await storeState(redis, keyPrefix);
    const bytes = Buffer.concat([Buffer.from('{"type":"token","jti":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","exp":2000000000}')]);
    const answer = await problem(await post('/v1/revocations', bytes, { 'content-type': 'application/json' }), 400);
    expect(answer.errors?.[0]?.field).toBe('(body)');
    expect(answer.detail).toMatch(/UTF-8/);
    // An encoded surrogate (CESU-8) is not UTF-8 either.
    const cesu = Buffer.concat([
      Buffer.from('{"type":"token","jti":"a'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('","exp":2000000000}'),
    ]);
    await problem(await post('/v1/revocations/batch', cesu, { 'content-type': 'application/json' }), 400);
    expect(await storeState(redis, keyPrefix)).toEqual(before);
  });

  it('a form whose percent-encoded bytes are not UTF-8 is refused, not read as U+FFFD', async () => {
    await oauthError(await post('/oauth2/introspect', 'token=a%FFb', { 'content-type': FORM }), 400);
    await oauthError(await post('/oauth2/revoke', 'token=a%E2%82&x=1', { 'content-type': FORM }), 400);
    await consolePage(
      await fetch(`${service.url}/admin/login`, { method: 'POST', body: 'key=%ED%A0%80', headers: { 'content-type': FORM } }),
      400,
    );
    // Well-formed UTF-8, percent-encoded or raw, is read.
    const euro = await post('/oauth2/introspect', `token=${encodeURIComponent('€😀')}`, { 'content-type': FORM });
    expect(euro.status).toBe(200);
  });

  it('content encodings: unknown is 415, a body that does not inflate is 400, a good gzip body is read', async () => {
    const json = JSON.stringify({ type: 'token', jti: 'gz', exp: 2e9 });
    await problem(await post('/v1/revocations', json, { 'content-type': 'application/json', 'content-encoding': 'compress' }), 415);
    await problem(
      await post('/v1/revocations', 'not gzip at all', { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
      400,
    );
    await oauthError(await post('/oauth2/revoke', 'not gzip', { 'content-type': FORM, 'content-encoding': 'gzip' }), 400);
    expect((await post('/v1/revocations', gzipSync(json), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(
      201,
    );
  });

  it('a body shorter than its Content-Length is answered 400, not 500', async () => {
    const { port } = new URL(service.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST /v1/revocations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_SECRET}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"type":`,
        );
        socket.end();
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    // The server may answer before it notices the short body, or close without answering; never a 5xx.
    if (answer !== '') expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(service.logs.filter((line) => line.msg === 'unexpected error')).toEqual([]);
  });
});
