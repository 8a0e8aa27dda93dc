import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Verifier } from '@revocast/verifier-sdk';
import { honoAuth, type HonoAuthEnv } from '@revocast/verifier-sdk/hono';
import { verifierFromEnv } from './verifier-from-env.js';

export function createHonoApp(verifier: Verifier) {
  const app = new Hono<HonoAuthEnv>();
  app.use('*', honoAuth(verifier, { cookie: 'access_token', realm: 'example' }));
  app.get('/me', (c) => c.json({ sub: c.var.auth.sub }));
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // On Node.js: Revocast needs TCP to Redis and node:crypto, which edge runtimes lack.
  const app = createHonoApp(await verifierFromEnv());
  serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' });
}
