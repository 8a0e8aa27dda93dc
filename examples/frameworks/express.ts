import { fileURLToPath } from 'node:url';
import express from 'express';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';
import { verifierFromEnv } from './verifier-from-env.js';

export function createExpressApp(verifier: Verifier) {
  const app = express();
  app.get('/me', requireAuth(verifier, { cookie: 'access_token', realm: 'example' }), (req, res) => {
    res.json({ sub: req.auth?.sub });
  });
  app.use(authErrorHandler());
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  createExpressApp(await verifierFromEnv()).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
