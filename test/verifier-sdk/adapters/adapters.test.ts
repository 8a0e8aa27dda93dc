import express from 'express';
import { expressjwt } from 'express-jwt';
import Fastify from 'fastify';
import fastifyJwt from '@fastify/jwt';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressJwtIsRevoked, fastifyJwtTrusted, type Verifier } from '@revocast/verifier-sdk';
import type { MemoryStore } from '@revocast/revocation-service';
import { SECRET, memoryStore, revokeInStore, signToken, testVerifier, waitFor } from '../../support/fixtures.js';

let store: MemoryStore;
let verifier: Verifier;

beforeAll(async () => {
  store = memoryStore();
  verifier = testVerifier({ source: store.feed() });
  await verifier.ready();
  await revokeInStore(store, { type: 'token', jti: 'revoked-jti', exp: Math.floor(Date.now() / 1000) + 600 });
  await waitFor(() => verifier.isRevoked({ jti: 'revoked-jti' }));
});
afterAll(() => verifier.close());

describe('express-jwt with expressJwtIsRevoked', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const app = express();
    app.get(
      '/',
      expressjwt({ secret: Buffer.from(SECRET), algorithms: ['HS256'], isRevoked: expressJwtIsRevoked(verifier) }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.use(
      (
        err: { status?: number; code?: string; reason?: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(err.status ?? 500).json({ code: err.code, reason: err.reason });
      },
    );
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server.close());

  it('accepts a token that is not revoked', async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${await signToken()}` } });
    expect(res.status).toBe(200);
  });

  it('rejects a revoked token with 401 ERR_TOKEN_REVOKED and says which revocation matched', async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${await signToken({ jti: 'revoked-jti' })}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 'ERR_TOKEN_REVOKED', reason: 'jti' });
  });
});

describe('@fastify/jwt with fastifyJwtTrusted', () => {
  const app = Fastify();
  beforeAll(async () => {
    await app.register(fastifyJwt, { secret: Buffer.from(SECRET), trusted: fastifyJwtTrusted(verifier) });
    app.get('/', async (request) => {
      await request.jwtVerify();
      return { ok: true };
    });
    await app.ready();
  });
  afterAll(() => app.close());

  it('accepts a token that is not revoked', async () => {
    const res = await app.inject({ url: '/', headers: { authorization: `Bearer ${await signToken()}` } });
    expect(res.statusCode).toBe(200);
  });

  it('rejects a revoked token with 401 ERR_TOKEN_REVOKED, not the generic untrusted code', async () => {
    const res = await app.inject({ url: '/', headers: { authorization: `Bearer ${await signToken({ jti: 'revoked-jti' })}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'ERR_TOKEN_REVOKED', message: 'token has been revoked' });
  });
});

describe('the adapters judge claims by the same rules as verify()', () => {
  const now = () => Math.floor(Date.now() / 1000);
  let server: Server;
  let url: string;
  const fastify = Fastify();

  beforeAll(async () => {
    // Every token of subject "42" issued up to now is revoked ("sign out everywhere").
    await revokeInStore(store, { type: 'subject', sub: '42' });
    await waitFor(() => verifier.isRevoked({ sub: '42', iat: now() - 10 }));
    const app = express();
    app.get(
      '/',
      expressjwt({ secret: Buffer.from(SECRET), algorithms: ['HS256'], isRevoked: expressJwtIsRevoked(verifier) }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.use((err: { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).json({ code: err.code });
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await fastify.register(fastifyJwt, { secret: Buffer.from(SECRET), trusted: fastifyJwtTrusted(verifier) });
    fastify.get('/', async (request) => {
      await request.jwtVerify();
      return { ok: true };
    });
    await fastify.ready();
  });
  afterAll(async () => {
    server.close();
    await fastify.close();
  });

  /** What each adapter answers for a token: [express-jwt status and code, @fastify/jwt status and code]. */
  async function answers(token: string): Promise<Array<{ status: number; code?: string }>> {
    const viaExpress = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const viaFastify = await fastify.inject({ url: '/', headers: { authorization: `Bearer ${token}` } });
    return [
      { status: viaExpress.status, ...(viaExpress.status === 200 ? {} : { code: ((await viaExpress.json()) as { code: string }).code }) },
      { status: viaFastify.statusCode, ...(viaFastify.statusCode === 200 ? {} : { code: viaFastify.json<{ code: string }>().code }) },
    ];
  }

  it('accepts a token verify() accepts', async () => {
    expect(await answers(await signToken())).toEqual([{ status: 200 }, { status: 200 }]);
  });

  it('refuses a token without jti, which could never be revoked by jti', async () => {
    const token = await signToken({ jti: undefined as unknown as string });
    expect(await answers(token)).toEqual([
      { status: 401, code: 'ERR_TOKEN_INVALID' },
      { status: 401, code: 'ERR_TOKEN_INVALID' },
    ]);
  });

  it('refuses a token without exp', async () => {
    const token = await signToken({ exp: undefined as unknown as number });
    expect(await answers(token)).toEqual([
      { status: 401, code: 'ERR_TOKEN_INVALID' },
      { status: 401, code: 'ERR_TOKEN_INVALID' },
    ]);
  });

  it('refuses a token issued an hour in the future, which would outlive a subject cutoff', async () => {
    const token = await signToken({ sub: '42', iat: now() + 3600 });
    expect(await answers(token)).toEqual([
      { status: 401, code: 'ERR_TOKEN_INVALID' },
      { status: 401, code: 'ERR_TOKEN_INVALID' },
    ]);
    expect(verifier.isRevoked({ sub: '42', iat: now() + 3600 })).toBe(true);
    expect(verifier.isRevoked({ sub: 'someone-else', iat: now() + 3600 })).toBe(true);
  });

  it('refuses sub: 42 once subject "42" is revoked, in isRevoked too: a number is never an id', async () => {
    const token = await signToken({ sub: 42 as unknown as string, iat: now() - 10 });
    expect(await answers(token)).toEqual([
      { status: 401, code: 'ERR_TOKEN_INVALID' },
      { status: 401, code: 'ERR_TOKEN_INVALID' },
    ]);
    expect(verifier.isRevoked({ sub: 42, iat: now() - 10 })).toBe(true);
    expect(verifier.isRevoked({ jti: 7 })).toBe(true);
    expect(verifier.isRevoked({ sid: ['a'] })).toBe(true);
    // The string form is refused as revoked, for the same reason as ever.
    expect(await answers(await signToken({ sub: '42', iat: now() - 10 }))).toEqual([
      { status: 401, code: 'ERR_TOKEN_REVOKED' },
      { status: 401, code: 'ERR_TOKEN_REVOKED' },
    ]);
  });

  it('refuses an expired token and a non-finite exp, with the reason', async () => {
    // express-jwt refuses an expired token itself; with its clockTolerance it reaches the adapter.
    const expired = { jti: 'e', exp: now() - 60 };
    await expect(expressJwtIsRevoked(verifier)({}, { payload: expired })).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED', status: 401 });
    await expect(fastifyJwtTrusted(verifier)({}, expired)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED', status: 401 });
    for (const exp of [Infinity, NaN, '9999999999']) {
      await expect(expressJwtIsRevoked(verifier)({}, { payload: { jti: 'e', exp } })).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
      await expect(fastifyJwtTrusted(verifier)({}, { jti: 'e', exp })).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID' });
    }
  });

  it('judges the claims themselves, even when they carry header and payload claims of their own', async () => {
    const token = await signToken({
      sub: '42',
      iat: now() - 10,
      header: { alg: 'HS256' },
      payload: { jti: 'fresh', exp: now() + 60 },
    } as Record<string, unknown>);
    expect((await answers(token))[1]).toEqual({ status: 401, code: 'ERR_TOKEN_REVOKED' });
    // With complete: true the plugin hands over { header, payload, signature } and the payload is judged.
    const complete = fastifyJwtTrusted(verifier, { complete: true });
    await expect(
      complete({}, { header: { alg: 'HS256' }, payload: { sub: '42', iat: now() - 10, jti: 'c', exp: now() + 60 }, signature: 'x' }),
    ).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    await expect(complete({}, { header: { alg: 'HS256' }, payload: { jti: 'c', exp: now() + 60 }, signature: 'x' })).resolves.toBe(true);
  });
});

describe('adapters while the list is stale', () => {
  it('reject with ERR_LIST_STALE (503) instead of answering', async () => {
    const stale = testVerifier({ redis: 'redis://127.0.0.1:1', commandTimeout: 0.05 });
    try {
      const claims = { jti: 'x', exp: Math.floor(Date.now() / 1000) + 60 };
      await expect(expressJwtIsRevoked(stale)({}, { payload: claims })).rejects.toMatchObject({ code: 'ERR_LIST_STALE', status: 503 });
      await expect(fastifyJwtTrusted(stale)({}, claims)).rejects.toMatchObject({ code: 'ERR_LIST_STALE', status: 503 });
    } finally {
      await stale.close();
    }
  });
});
