import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';
import type { MemoryStore } from '@revocast/revocation-service';
import { memoryStore, revokeInStore, signToken, testVerifier, waitFor } from '../../support/fixtures.js';

describe('requireAuth', () => {
  let store: MemoryStore;
  let verifier: Verifier;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    store = memoryStore();
    verifier = testVerifier({ source: store.feed() });
    await verifier.ready();
    const app = express();
    app.get('/me', requireAuth(verifier, { cookie: 'access_token', realm: 'demo' }), (req, res) => {
      res.json({ sub: req.auth?.sub, sid: req.auth?.sid });
    });
    app.get('/maybe', requireAuth(verifier, { credentialsRequired: false }), (req, res) => {
      res.json({ signedIn: req.auth !== undefined });
    });
    app.use(authErrorHandler());
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

  it('sets req.auth from a bearer token', async () => {
    const res = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${await signToken({ sub: 'leo', sid: 'phone' })}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'leo', sid: 'phone' });
  });

  it('reads the named cookie when there is no Authorization header', async () => {
    const res = await fetch(`${base}/me`, { headers: { cookie: `theme=dark; access_token=${await signToken({ sub: 'mia' })}` } });
    expect(await res.json()).toMatchObject({ sub: 'mia' });
  });

  it('answers 401 with a bare challenge when there is no token', async () => {
    const res = await fetch(`${base}/me`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="demo"');
    expect(await res.json()).toMatchObject({ error: 'ERR_TOKEN_MISSING' });
  });

  it('answers 401 invalid_token for a bad token, and never a 500', async () => {
    for (const token of ['x', 'a.b.c', `${await signToken()}tampered`]) {
      const res = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="demo", error="invalid_token", error_description="/);
      expect(((await res.json()) as { error: string }).error).toBe('ERR_TOKEN_INVALID');
    }
  });

  it('answers 401 ERR_TOKEN_REVOKED for a revoked token', async () => {
    const token = await signToken({ sid: 'stolen-phone' });
    await revokeInStore(store, { type: 'session', sid: 'stolen-phone' });
    await waitFor(() => verifier.isRevoked({ sid: 'stolen-phone' }));
    const res = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
  });

  it('lets a request without a token through when credentials are optional', async () => {
    expect(await (await fetch(`${base}/maybe`)).json()).toEqual({ signedIn: false });
  });

  it('passes errors on to next() and leaves other errors to other handlers', async () => {
    const app = express();
    const seen: unknown[] = [];
    app.get('/x', requireAuth(verifier), (_req, res) => void res.end());
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen.push(err);
      res.status(418).end();
    });
    const s: Server = await new Promise((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/x`);
      expect(res.status).toBe(418);
      expect(seen[0]).toMatchObject({ code: 'ERR_TOKEN_MISSING', status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"' } });
    } finally {
      s.close();
    }
  });

  it("goes on in the same tick for a fixed key, and a later handler's throw is not taken for a refusal", async () => {
    const middleware = requireAuth(verifier);
    const token = await signToken({ sub: 'ned' });
    const req = { headers: { authorization: `Bearer ${token}` } } as Parameters<typeof middleware>[0];
    const calls: unknown[][] = [];
    middleware(req, {} as never, (...args: unknown[]) => calls.push(args));
    // Synchronously: next() without an error, req.auth set, before the middleware returned.
    expect(calls).toEqual([[]]);
    expect(req.auth?.sub).toBe('ned');

    const refused: unknown[][] = [];
    middleware({ headers: { authorization: 'Bearer a.b.c' } } as never, {} as never, (...args: unknown[]) => refused.push(args));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.[0]).toMatchObject({ code: 'ERR_TOKEN_INVALID', status: 401 });

    const boom = new Error('handler failed');
    const thrown: unknown[][] = [];
    expect(() =>
      middleware(req, {} as never, (...args: unknown[]) => {
        thrown.push(args);
        throw boom;
      }),
    ).toThrow(boom);
    // next() ran once, without an error: the throw is Express's to handle, not a 401.
    expect(thrown).toEqual([[]]);
  });

  it('waits for a verifier that answers only with a promise', async () => {
    const token = await signToken({ sub: 'ola' });
    const wrapped: Verifier = { ...verifier, verify: (t: string) => verifier.verify(t) };
    const middleware = requireAuth(wrapped);
    const req = { headers: { authorization: `Bearer ${token}` } } as Parameters<typeof middleware>[0];
    const done = new Promise<unknown[]>((resolve) => middleware(req, {} as never, (...args: unknown[]) => resolve(args)));
    expect(req.auth).toBeUndefined();
    expect(await done).toEqual([]);
    expect(req.auth?.sub).toBe('ola');
  });
});
