import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTokenInspector } from '@revocast/revocation-service';
import { ADMIN_SECRET, SECRET, startService, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';
import { hostileString } from '../support/hostile-input.js';

/**
 * Arbitrary bodies, content types, charsets, encodings and field counts
 * against every route that reads a body, on the shared Redis: never a 5xx,
 * and every refusal in the route's own format (problem+json on /v1, the
 * console's page on /admin, RFC 6749 errors on /oauth2).
 */

const redisUrl = inject('redisUrl');

const ROUTES = [
  { method: 'POST', path: '/v1/revocations', format: 'problem' },
  { method: 'POST', path: '/v1/revocations/batch', format: 'problem' },
  { method: 'DELETE', path: '/v1/revocations/token/fuzz', format: 'problem' },
  { method: 'POST', path: '/v1/no-such-route', format: 'problem' },
  { method: 'POST', path: '/oauth2/revoke', format: 'oauth' },
  { method: 'POST', path: '/oauth2/introspect', format: 'oauth' },
  { method: 'POST', path: '/admin/login', format: 'page' },
  { method: 'POST', path: '/admin/revoke', format: 'page' },
  { method: 'POST', path: '/admin/reinstate', format: 'page' },
  { method: 'POST', path: '/admin/logout', format: 'page' },
] as const;

const charset = fc.constantFrom(
  'utf-8',
  'UTF-8',
  'utf8',
  'utf-16',
  'utf-16le',
  'utf-32',
  'iso-8859-1',
  'latin1',
  'koi8-r',
  'bogus',
  '"utf-8"',
  '',
);
const mediaType = fc.constantFrom(
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  '*/*',
  '',
);
const contentType = fc.oneof(
  mediaType,
  fc.tuple(mediaType, charset).map(([type, cs]) => `${type}; charset=${cs}`),
  // As an HTTP client can send it: Latin-1 without controls.
  hostileString.map((value) => value.replace(/[^\x20-\x7e\xa0-\xff]/g, '').trim()),
);

const formBody = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('token', 'key', '_csrf', 'type', 'sub', 'sid', 'id', 'reason'), fc.string({ maxLength: 8 })),
      hostileString,
    ),
    { maxLength: 40 },
  )
  .map((pairs) =>
    Buffer.from(pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '?'))}`).join('&')),
  );
const jsonBody = fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null'));
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  formBody,
  jsonBody,
  fc.constantFrom(Buffer.alloc(0), Buffer.from('{"type":"token","jti":"a\xff","exp":2000000000}', 'latin1'), Buffer.alloc(40_000, 0x61)),
  fc.integer({ min: 0, max: 60 }).map((n) => Buffer.from(Array.from({ length: n }, (_, i) => `f${i}=${i}`).join('&'))),
);
const encoding = fc.constantFrom('none', 'identity', 'gzip', 'deflate', 'br', 'gzip-garbage', 'compress', 'x-unknown', 'gzip, br');

function encode(bytes: Buffer, how: string): { bytes: Buffer; header?: string } {
  switch (how) {
    case 'none':
      return { bytes };
    case 'gzip':
      return { bytes: gzipSync(bytes), header: 'gzip' };
    case 'deflate':
      return { bytes: deflateSync(bytes), header: 'deflate' };
    case 'br':
      return { bytes: brotliCompressSync(bytes), header: 'br' };
    case 'gzip-garbage':
      return { bytes, header: 'gzip' };
    default:
      return { bytes, header: how };
  }
}

describe('no body gets a 5xx, on any route', () => {
  let service: ServiceHandle;
  let consoleCookie = '';

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix: uniquePrefix(),
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: new TextDecoder().decode(SECRET) }),
    });
    // A console session, so the signed-in routes read their bodies too.
    const form = await fetch(`${service.url}/admin/login`);
    const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] as string;
    const signedIn = await fetch(`${service.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, key: ADMIN_SECRET }),
    });
    consoleCookie = /revocast_console=[^;]+/.exec(signedIn.headers.get('set-cookie') ?? '')?.[0] ?? '';
    expect(consoleCookie).not.toBe('');
  });
  afterAll(async () => {
    await service.close();
  });

  it("answers every combination with a non-5xx in the route's format", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, contentType, encoding, async (route, raw, type, how) => {
        const { bytes, header } = encode(raw, how);
        const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_SECRET}`, cookie: consoleCookie };
        if (type !== '') headers['content-type'] = type;
        if (header !== undefined) headers['content-encoding'] = header;
        const res = await fetch(service.url + route.path, { method: route.method, headers, body: bytes, redirect: 'manual' });
        const text = await res.text();
        seen.set(`${route.format} ${res.status}`, (seen.get(`${route.format} ${res.status}`) ?? 0) + 1);
        expect(res.status, `${route.method} ${route.path} ${type} ${how}: ${text.slice(0, 300)}`).toBeLessThan(500);
        if (res.status < 400) return;
        const answered = res.headers.get('content-type') ?? '';
        if (route.format === 'problem') expect(answered).toMatch(/^application\/problem\+json/);
        if (route.format === 'page') expect(answered).toMatch(/^text\/html/);
        if (route.format === 'oauth') {
          expect(answered).toMatch(/^application\/json/);
          expect(JSON.parse(text)).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
        }
      }),
      {
        numRuns: 300,
        // Always tried, besides the random ones, so both refusals below are seen on every run.
        examples: [
          [ROUTES[0], Buffer.alloc(40_000, 0x61), 'application/json', 'none'],
          [ROUTES[4], Buffer.from('token=x'), 'application/x-www-form-urlencoded; charset=latin1', 'none'],
        ],
      },
    );
    expect(service.logs.filter((line) => line.msg === 'unexpected error')).toEqual([]);
    // The size limit and the charset check were reached.
    expect([...seen.keys()].some((key) => key.endsWith(' 415'))).toBe(true);
    expect([...seen.keys()].some((key) => key.endsWith(' 413'))).toBe(true);
  });
});
