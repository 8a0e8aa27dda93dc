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
    app.get('/', expressjwt({ secret: Buffer.from(SECRET), algorithms: ['HS256'], isRevoked: expressJwtIsRevoked(verifier) }), (_req, res) => {
      res.json({ ok: true });
    });
    app.use((err: { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).json({ code: err.code });
    });
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

  it('rejects a revoked token with 401 revoked_token', async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${await signToken({ jti: 'revoked-jti' })}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: 'revoked_token' });
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

  it('rejects a revoked token as untrusted', async () => {
    const res = await app.inject({ url: '/', headers: { authorization: `Bearer ${await signToken({ jti: 'revoked-jti' })}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED');
  });
});

describe('adapters while the list is stale', () => {
  it('reject with ERR_LIST_STALE (503) instead of answering', async () => {
    const stale = testVerifier({ redis: 'redis://127.0.0.1:1', commandTimeout: 0.05 });
    try {
      await expect(expressJwtIsRevoked(stale)({}, { payload: { jti: 'x' } })).rejects.toMatchObject({ code: 'ERR_LIST_STALE', status: 503 });
      await expect(fastifyJwtTrusted(stale)({}, { jti: 'x' })).rejects.toMatchObject({ code: 'ERR_LIST_STALE', status: 503 });
    } finally {
      await stale.close();
    }
  });
});
