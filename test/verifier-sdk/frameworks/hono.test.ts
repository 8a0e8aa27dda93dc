import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { honoAuth } from '@revocast/verifier-sdk/hono';
import { createHonoApp } from '../../../examples/frameworks/hono.js';
import { memoryStore, signToken, testVerifier } from '../../support/fixtures.js';
import { integrationSuite, parseBody, sdkRefusal, type Client } from './integration-suite.js';

integrationSuite('Hono middleware', {
  async start(verifier) {
    const app = createHonoApp(verifier);
    // Hono's own in-process test tool: app.request() with a Fetch Request, no socket.
    const request: Client = async (path, headers) => {
      const res = await app.request(path, { headers });
      return { status: res.status, headers: Object.fromEntries(res.headers), body: parseBody(await res.text()) };
    };
    return { request, close: async () => {} };
  },
  refusal: sdkRefusal,
  carriesReason: true,
});

describe('the Hono middleware', () => {
  it('runs on Node through @hono/node-server, a real socket and a real fetch', async () => {
    const verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: createHonoApp(verifier).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${await signToken({ sub: 'noor' })}` } });
      expect(await ok.json()).toEqual({ sub: 'noor' });
      const missing = await fetch(`${base}/me`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="example"');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await verifier.close();
    }
  });

  it('with credentials optional sets auth to undefined for a request without a token', async () => {
    const verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const app = new Hono();
    app.get('/maybe', honoAuth(verifier, { credentialsRequired: false }), (c) => c.json({ signedIn: c.var.auth !== undefined }));
    try {
      expect(await (await app.request('/maybe')).json()).toEqual({ signedIn: false });
    } finally {
      await verifier.close();
    }
  });
});
