import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import Koa from 'koa';
import { koaAuth } from '@revocast/verifier-sdk/koa';
import { createKoaApp } from '../../../examples/frameworks/koa.js';
import { memoryStore, testVerifier } from '../../support/fixtures.js';
import { closeServer, integrationSuite, listen, sdkRefusal, socketClient } from './integration-suite.js';

integrationSuite('Koa middleware', {
  async start(verifier) {
    // Koa's own way to serve an app: app.callback() on a node:http server.
    const server = await listen(createServer(createKoaApp(verifier).callback()));
    return { request: socketClient(server), close: () => closeServer(server) };
  },
  refusal: sdkRefusal,
  carriesReason: true,
});

describe('the Koa middleware', () => {
  it('does not call the next middleware for a refused request, and lets one without a token through when credentials are optional', async () => {
    const verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const reached: string[] = [];
    const app = new Koa();
    app.use(async (ctx, next) => {
      if (ctx.path === '/optional') return koaAuth(verifier, { credentialsRequired: false })(ctx, next);
      return koaAuth(verifier)(ctx, next);
    });
    app.use((ctx) => {
      reached.push(ctx.path);
      ctx.body = { signedIn: ctx.state.auth !== undefined };
    });
    const server = await listen(createServer(app.callback()));
    try {
      const request = socketClient(server);
      expect((await request('/required', {})).status).toBe(401);
      expect(await request('/optional', {})).toMatchObject({ status: 200, body: { signedIn: false } });
      expect(reached).toEqual(['/optional']);
    } finally {
      await closeServer(server);
      await verifier.close();
    }
  });
});
