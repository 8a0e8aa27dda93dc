import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressjwt } from 'express-jwt';
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { expressJwtIsRevoked, fastifyJwtTrusted, type Verifier } from '@revocast/verifier-sdk';
import { createTokenInspector } from '@revocast/revocation-service';
import {
  ADMIN_SECRET,
  SECRET,
  outcome,
  startService,
  testVerifier,
  uniquePrefix,
  waitFor,
  type ServiceHandle,
} from '../support/fixtures.js';

/**
 * Every place that judges a token judges its claims by one rule: verify(),
 * isRevoked(), the express-jwt and @fastify/jwt adapters and the service's
 * introspection, on real Redis with real revocations.
 */

const redisUrl = inject('redisUrl');
const now = () => Date.now() / 1000;

/** An HS256 token whose payload is exactly `payload`, so it can hold JSON such as 1e400. */
function signText(payload: string): string {
  const input = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

/** A claim as JSON text, or undefined for a missing claim. */
type ClaimText = string | undefined;

function payloadText(claims: Record<string, ClaimText>): string {
  return `{${Object.entries(claims)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${JSON.stringify(name)}:${value}`)
    .join(',')}}`;
}

describe('one claims rule for verify, isRevoked, both adapters and introspection', () => {
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let verifier: Verifier;
  let server: Server;
  let expressUrl: string;
  const fastify = Fastify();

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix,
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: new TextDecoder().decode(SECRET) }),
    });
    verifier = testVerifier({ redis: redisUrl, keyPrefix });
    await verifier.ready();
    const revoke = async (body: unknown) => expect((await service.admin('/v1/revocations', { body })).status).toBe(201);
    await revoke({ type: 'subject', sub: '42' });
    await revoke({ type: 'token', jti: '12345', exp: Math.floor(now()) + 3000 });
    await revoke({ type: 'session', sid: 's-1' });
    await waitFor(
      () => verifier.isRevoked({ sub: '42', iat: 1 }) && verifier.isRevoked({ jti: '12345' }) && verifier.isRevoked({ sid: 's-1' }),
    );

    // Both libraries get the verifier's tolerance, so their own exp and nbf checks match it.
    const app = express();
    app.get(
      '/',
      expressjwt({ secret: Buffer.from(SECRET), algorithms: ['HS256'], clockTolerance: 5, isRevoked: expressJwtIsRevoked(verifier) }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).end();
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    expressUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await fastify.register(fastifyJwt, {
      secret: Buffer.from(SECRET),
      verify: { clockTolerance: 5000 },
      trusted: fastifyJwtTrusted(verifier),
    });
    fastify.get('/', async (request) => {
      await request.jwtVerify();
      return { ok: true };
    });
    await fastify.ready();
  });
  afterAll(async () => {
    server?.close();
    await fastify.close();
    await verifier?.close();
    await service?.close();
  });

  function introspect(token: string): Promise<Response> {
    return fetch(`${service.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
  }

  async function active(token: string): Promise<boolean> {
    const res = await introspect(token);
    expect(res.status).toBe(200);
    return ((await res.json()) as { active: boolean }).active;
  }

  it('introspection calls a token inactive when its numeric jti is revoked as a string, as verifiers do', async () => {
    const token = signText(payloadText({ jti: '12345', exp: String(Math.floor(now()) + 600) }));
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_INVALID');
    expect(await active(token)).toBe(false);
    expect(await active(signText(payloadText({ jti: '"fresh-jti"', exp: String(Math.floor(now()) + 600) })))).toBe(true);
  });

  it('introspection calls inactive: sub 42 after subject "42" is revoked, iat an hour ahead, iat 1e400, no jti, no exp', async () => {
    const exp = String(Math.floor(now()) + 600);
    for (const claims of [
      { jti: '"a1"', exp, sub: '42', iat: String(now() - 60) },
      { jti: '"a2"', exp, sub: '"42"', iat: String(now() + 3600) },
      { jti: '"a3"', exp, sub: '"42"', iat: '1e400' },
      { jti: '"a4"', exp, iat: '1e400' },
      { exp, sub: '"someone"' },
      { jti: '"a5"', sub: '"someone"' },
    ]) {
      const token = signText(payloadText(claims));
      expect(await outcome(verifier, token), JSON.stringify(claims)).not.toBe('accepted');
      expect(await active(token), JSON.stringify(claims)).toBe(false);
    }
  });

  it('agree on every claim set: verify, both adapters and introspection accept the same tokens, and isRevoked refuses the rest (property)', async () => {
    // Weighted towards well-formed claims, so that accepted tokens are common too.
    const id = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('"12345"', '"42"', '"s-1"', '"fresh"', '"fresh-2"') },
      { weight: 1, arbitrary: fc.constantFrom('""', `"${'x'.repeat(257)}"`, '"a\\u0000b"', '"\\ud800"') },
      { weight: 2, arbitrary: fc.constantFrom('12345', '42', '0', '1e400', '-1e400', 'null', 'true', '[]', '["42"]', '{}', '{"id":"42"}') },
      { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)) },
    );
    /** A NumericDate as an offset from now (applied when the token is signed), or a claim of another type. */
    const date = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(-3600, -60, -2, 0, 2, 60, 3600).map((offset) => ({ offset })) },
      { weight: 1, arbitrary: fc.constantFrom('1e400', '-1e400', 'null', '"1700000000"', '[1]', '{}', 'false').map((text) => ({ text })) },
    );
    const claimSet = fc.record({ jti: id, sub: id, sid: id, exp: date, nbf: date, iat: date }, { requiredKeys: [] });
    const counts = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(claimSet, async (generated) => {
        const at = now();
        const claims: Record<string, ClaimText> = {};
        for (const [name, value] of Object.entries(generated)) {
          claims[name] = typeof value === 'string' ? value : 'offset' in value ? String(Math.floor(at) + value.offset) : value.text;
        }
        const text = payloadText(claims);
        const token = signText(text);
        const verified = (await outcome(verifier, token)) === 'accepted';
        const viaExpress = (await fetch(expressUrl, { headers: { authorization: `Bearer ${token}` } })).status === 200;
        const viaFastify = (await fastify.inject({ url: '/', headers: { authorization: `Bearer ${token}` } })).statusCode === 200;
        const introspected = await active(token);
        expect({ text, verified, viaExpress, viaFastify, introspected }).toEqual({
          text,
          verified,
          viaExpress: verified,
          viaFastify: verified,
          introspected: verified,
        });
        // isRevoked does not require claims, so it is asked only whether a token that has them must be refused.
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (parsed.jti !== undefined && parsed.exp !== undefined)
          expect({ text, refused: verifier.isRevoked(parsed) }).toEqual({ text, refused: !verified });
        counts[verified ? 'accepted' : 'refused']++;
      }),
      {
        numRuns: 200,
        examples: [
          [{ jti: '"fresh"', exp: { offset: 60 } }],
          [{ jti: '"fresh"', sub: '"42"', sid: '"fresh"', exp: { offset: 3600 }, nbf: { offset: -60 }, iat: { offset: 0 } }],
        ],
      },
    );
    expect(counts.accepted).toBeGreaterThan(0);
    expect(counts.refused).toBeGreaterThan(0);
  }, 120_000);
});
