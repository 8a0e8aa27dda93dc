import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';
import { memoryStore, testVerifier } from '../../support/fixtures.js';
import { SAFE_HEADER, hostileAuthorization, rawToken as token } from '../../support/hostile-authorization.js';

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
        const answer = await get(
          base,
          `Bearer ${token(JSON.stringify({ alg: 'HS256', crit: [name], [name]: 1 }), '{"jti":"x","exp":9999999999}', signed)}`,
        );
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
    let count = 0;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(hostileAuthorization, async (authorization) => {
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
