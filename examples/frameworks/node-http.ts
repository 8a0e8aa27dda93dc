import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Verifier } from '@revocast/verifier-sdk';
import { nodeAuth } from '@revocast/verifier-sdk/node';
import { verifierFromEnv } from './verifier-from-env.js';

export function createNodeServer(verifier: Verifier) {
  const authenticate = nodeAuth(verifier, { cookie: 'access_token', realm: 'example' });
  return createServer(async (req, res) => {
    const auth = await authenticate(req, res);
    if (auth === undefined) return; // refused, and already answered
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ sub: auth.sub }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  createNodeServer(await verifierFromEnv()).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
