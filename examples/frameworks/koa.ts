import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import type { VerifiedClaims, Verifier } from '@revocast/verifier-sdk';
import { koaAuth } from '@revocast/verifier-sdk/koa';
import { verifierFromEnv } from './verifier-from-env.js';

export function createKoaApp(verifier: Verifier) {
  const app = new Koa<{ auth: VerifiedClaims }>();
  app.use(koaAuth(verifier, { cookie: 'access_token', realm: 'example' }));
  app.use((ctx) => {
    if (ctx.path === '/me') ctx.body = { sub: ctx.state.auth.sub };
  });
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = createKoaApp(await verifierFromEnv());
  createServer(app.callback()).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
