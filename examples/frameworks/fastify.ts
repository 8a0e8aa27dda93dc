import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { Verifier } from '@revocast/verifier-sdk';
import { fastifyAuth } from '@revocast/verifier-sdk/fastify';
import { verifierFromEnv } from './verifier-from-env.js';

export function createFastifyApp(verifier: Verifier) {
  const app = Fastify();
  // Registered on the root instance, the plugin's onRequest hook guards every route.
  app.register(fastifyAuth, { verifier, cookie: 'access_token', realm: 'example' });
  app.get('/me', async (request) => ({ sub: request.auth?.sub }));
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = createFastifyApp(await verifierFromEnv());
  console.log(await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }));
}
