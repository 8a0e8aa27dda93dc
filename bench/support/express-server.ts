/**
 * The web server of the throughput benchmark, in its own process: one
 * hello-world handler behind no auth, behind requireAuth, and behind
 * express-jwt with a Redis GET deny-list lookup per request (what teams do
 * today). Prints its port on stdout.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressjwt } from 'express-jwt';
import { Redis } from 'ioredis';
import { authErrorHandler, createVerifier, requireAuth } from '@revocast/verifier-sdk';

const redisUrl = process.env.REDIS_URL as string;
const keyPrefix = process.env.KEY_PREFIX as string;
const secret = process.env.JWT_SECRET as string;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const verifier = createVerifier({ redis: redisUrl, keyPrefix, key: secret, algorithms: ['HS256'], logger: quiet });
await verifier.ready();
const denyList = new Redis(redisUrl);

const app = express();
app.disable('x-powered-by');
const hello = (_req: express.Request, res: express.Response) => void res.send('hello world');
app.get('/none', hello);
// Server CPU time so far, in microseconds: the benchmark divides it by the requests served.
app.get('/cpu', (_req, res) => {
  const { user, system } = process.cpuUsage();
  res.send(String(user + system));
});
app.get('/revocast', requireAuth(verifier), hello);
app.get(
  '/express-jwt',
  expressjwt({
    secret,
    algorithms: ['HS256'],
    isRevoked: async (_req, token) =>
      (await denyList.get(`deny:${String((token?.payload as { jti?: unknown } | undefined)?.jti)}`)) !== null,
  }),
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
  void verifier.close().then(() => process.exit(0));
});
