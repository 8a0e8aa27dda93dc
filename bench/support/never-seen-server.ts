/**
 * The web server of the never-seen-token throughput benchmark, in its own
 * process: one hello-world handler behind no auth, behind requireAuth (HS256
 * and RS256, default token cache), behind express-jwt with a Redis GET
 * deny-list lookup per request, and behind fast-jwt alone (no cache, no
 * revocation check). Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import express from 'express';
import { expressjwt } from 'express-jwt';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { Redis } from 'ioredis';
import { authErrorHandler, createVerifier, requireAuth } from '@revocast/verifier-sdk';

const redisUrl = process.env.REDIS_URL as string;
const keyPrefix = process.env.KEY_PREFIX as string;
const secret = process.env.JWT_SECRET as string;
const rsaPem = process.env.RSA_PUBLIC_PEM as string;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const hs = createVerifier({ redis: redisUrl, keyPrefix, key: secret, algorithms: ['HS256'], logger: quiet });
const rs = createVerifier({ redis: redisUrl, keyPrefix, key: createPublicKey(rsaPem), algorithms: ['RS256'], logger: quiet });
await Promise.all([hs.ready(), rs.ready()]);
const denyList = new Redis(redisUrl);
const isRevoked = async (_req: express.Request, token: { payload: unknown } | undefined) =>
  (await denyList.get(`deny:${String((token?.payload as { jti?: unknown } | undefined)?.jti)}`)) !== null;

const app = express();
app.disable('x-powered-by');
const hello = (_req: express.Request, res: express.Response) => void res.send('hello world');
app.get('/none', hello);
app.get('/revocast/hs256', requireAuth(hs), hello);
app.get('/revocast/rs256', requireAuth(rs), hello);
app.get('/express-jwt/hs256', expressjwt({ secret, algorithms: ['HS256'], isRevoked }), hello);
app.get('/express-jwt/rs256', expressjwt({ secret: rsaPem, algorithms: ['RS256'], isRevoked }), hello);
// A ceiling for any synchronous verifier here: fast-jwt without its cache, no revocation check at all.
const fastJwt = createFastJwtVerifier({
  key: secret,
  algorithms: ['HS256'],
  cache: false,
  clockTolerance: 5000,
  requiredClaims: ['exp', 'jti'],
});
app.get(
  '/fast-jwt/hs256',
  (req, res, next) => {
    try {
      fastJwt((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    } catch {
      res.status(401).end();
      return;
    }
    next();
  },
  hello,
);
app.use(authErrorHandler());
app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status((err as { status?: number }).status ?? 500).end();
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(`port ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => {
  server.close();
  denyList.disconnect();
  void Promise.all([hs.close(), rs.close()]).then(() => process.exit(0));
});
