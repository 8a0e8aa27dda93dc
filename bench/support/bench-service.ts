/**
 * The revocation service of the fleet benchmarks, in its own process: the
 * Redis-only store and the admin API, with coalesced delivery on or off
 * (COALESCE=1 or 0), so one run can measure both on the same Redis. Only
 * the parts a revocation goes through: no fleet view, no pruner, the admin
 * state in memory (so Redis serves the writes and the verifiers, nothing
 * else). Prints `{"port":<n>}` once listening.
 *
 * Every answer carries `x-answered-at`: when the service answered, on the
 * machine-wide monotonic clock (process.hrtime, in ms), the moment a
 * revocation is acknowledged, to compare with when verifiers applied it.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { RedisStore, createApp, createLogger } from '@revocast/revocation-service';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
};

const MAX_TOKEN_TTL = 86_400;
const store = new RedisStore({
  redis: env('REDIS_URL'),
  keyPrefix: env('KEY_PREFIX'),
  maxTokenTtlMs: MAX_TOKEN_TTL * 1000,
  retentionGraceMs: 300_000,
  coalesce: env('COALESCE') === '1' ? {} : false,
});
await store.ready();
const app = express();
app.use((_req, res, next) => {
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    res.setHeader('x-answered-at', String(Number(process.hrtime.bigint()) / 1e6));
    return json(body);
  };
  next();
});
app.use(
  createApp({
    store,
    adminKeys: [{ name: 'bench', secret: env('ADMIN_SECRET') }],
    logger: createLogger('warn'),
    maxTokenTtl: MAX_TOKEN_TTL,
  }),
);
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void store.close().finally(() => process.exit(0)));
});
