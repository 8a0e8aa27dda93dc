import { createHmac } from 'node:crypto';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';
import { SECRET, memoryStore, testVerifier } from '../../support/fixtures.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** A compact token from raw header and payload JSON text, HMAC-signed with the test key or with a junk signature. */
function token(header: string, payload: string, signed: boolean): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signed ? createHmac('sha256', SECRET).update(input).digest('base64url') : 'c2ln'}`;
}

interface Answer {
  readonly status: number;
  readonly challenge: string | undefined;
}

/** Sends one GET with `authorization` as raw latin1 header bytes (what a client can put on the wire). */
function get(base: string, authorization: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/me`, { headers: { authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Visible ASCII and space: what a quoted header parameter may hold. */
const SAFE_HEADER = /^[\x20-\x7e]*$/;

describe('requireAuth with hostile Authorization headers', () => {
  let verifier: Verifier;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const app = express();
    app.get('/me', requireAuth(verifier), (_req, res) => void res.json({ ok: true }));
    app.use(authErrorHandler());
    // Anything reaching here was not answered by authErrorHandler: a 500.
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).end());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await verifier.close();
    server.closeAllConnections();
    server.close();
  });

  it('answers 401 with a fixed challenge, not 500, when a token names "€", CR LF or NUL in crit', async () => {
    for (const name of ['€', '\r\n', 'a\r\nSet-Cookie: x=1', '\u0000', '"\\', 'ü']) {
      for (const signed of [false, true]) {
        const answer = await get(base, `Bearer ${token(JSON.stringify({ alg: 'HS256', crit: [name], [name]: 1 }), '{"jti":"x","exp":9999999999}', signed)}`);
        expect(answer, JSON.stringify(name)).toEqual({
          status: 401,
          challenge: 'Bearer realm="api", error="invalid_token", error_description="the token is invalid"',
        });
      }
    }
  });

  it('answers an expired or revoked token with its own fixed description', async () => {
    const expired = token('{"alg":"HS256"}', `{"jti":"x","exp":${Math.floor(Date.now() / 1000) - 3600}}`, true);
    expect(await get(base, `Bearer ${expired}`)).toEqual({
      status: 401,
      challenge: 'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    });
  });

  it('refuses a realm that cannot be written in a header when the middleware is built', () => {
    for (const realm of ['a"b', 'a\\b', 'a\r\nb', '€', '\u0000']) expect(() => requireAuth(verifier, { realm })).toThrow(/realm/);
  });

  it('answers 401 or 503, never 500, whatever bytes the Authorization header holds and whatever the token says', async () => {
    // Bytes a client can send in a header value: tab, visible ASCII and obs-text (0x80 to 0xFF).
    const headerByte = fc.oneof(fc.constant(0x09), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }));
    const rawHeader = fc.array(headerByte, { maxLength: 120 }).map((bytes) => Buffer.from(bytes).toString('latin1'));
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('€', '\r\n', '\u0000', '"', '\\', '\ud800', 'alg', 'b64'));
    const headerJson = fc.oneof(
      fc.record({ alg: fc.constantFrom('HS256', 'none', 'RS256', 'hs256'), crit: fc.array(text, { maxLength: 3 }) }, { requiredKeys: ['alg'] }).map((h) => JSON.stringify(h)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const claim = fc.oneof(fc.double(), fc.integer(), text, fc.constantFrom('1e400', '-1e400', 'null', '[]', '{}'), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)));
    const payloadJson = fc.oneof(
      fc.record({ jti: claim, sub: claim, sid: claim, exp: claim, nbf: claim, iat: claim, aud: claim }, { requiredKeys: [] }).map((c) =>
        `{${Object.entries(c).map(([name, value]) => `"${name}":${typeof value === 'string' && /^(-?1e400|null|\[\]|\{\}|\[.*\]|\{.*\}|-?\d.*|true|false)$/.test(value) ? value : JSON.stringify(value) ?? 'null'}`).join(',')}}`,
      ),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const tokenHeader = fc
      .record({ scheme: fc.constantFrom('Bearer ', 'bearer ', 'Bearer\t', 'Basic ', ''), header: headerJson, payload: payloadJson, signed: fc.boolean(), tail: fc.constantFrom('', '=', ' ', '.x') })
      .map(({ scheme, header, payload, signed, tail }) => `${scheme}${token(header, payload, signed)}${tail}`);
    let count = 0;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(rawHeader, rawHeader.map((h) => `Bearer ${h}`), tokenHeader), async (authorization) => {
        count++;
        const answer = await get(base, authorization);
        statuses.add(answer.status);
        if (answer.status === 200) return;
        expect([401, 503]).toContain(answer.status);
        expect(answer.challenge === undefined || SAFE_HEADER.test(answer.challenge)).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(count).toBe(400);
    expect(statuses.has(401)).toBe(true);
  }, 120_000);
});
