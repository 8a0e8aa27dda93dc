import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { openRedisAdminState } from './admin-state/admin-state.js';
import { createApp } from './app.js';
import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load-config.js';
import { RedisFleet } from './fleet/redis-fleet.js';
import { createLogger } from './logger.js';
import { collectProcessMetrics } from './metrics/process-metrics.js';
import { createTokenInspector } from './oauth/token-inspector.js';
import { PostgresStore } from './store/postgres-store.js';
import { startPruner } from './store/pruner.js';
import { RedisStore } from './store/redis-store.js';
import type { RevocationStore } from './store/revocation-store.js';

/** How long in-flight requests get to finish after SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

function configOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`revocast: invalid configuration: ${err.message}`);
    process.exit(78);
  }
}

const config = configOrExit();
const tokenInspector = config.tokenKeys === undefined ? undefined : createTokenInspector(config.tokenKeys);
try {
  await tokenInspector?.ready();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`revocast: invalid configuration: ${err.message}`);
  process.exit(78);
}
const logger = createLogger(config.logLevel);
const registry = new Registry();
collectProcessMetrics(registry);
const storeOptions = {
  redis: config.redisUrl,
  keyPrefix: config.keyPrefix,
  maxTokenTtlMs: config.maxTokenTtl * 1000,
  retentionGraceMs: config.retentionGrace * 1000,
};
// With DATABASE_URL, PostgreSQL is the record and Redis a projection re-seeded from it; without, Redis is the record.
const store: RevocationStore =
  config.database === undefined
    ? new RedisStore(storeOptions)
    : new PostgresStore({
        ...storeOptions,
        database: config.database.url,
        schema: config.database.schema,
        outboxIntervalMs: config.database.outboxIntervalMs,
        reconcileIntervalMs: config.database.reconcileIntervalMs,
        logger,
        registry,
      });
// The durable record must be migrated before the first request; Redis may still be coming up.
if (config.database !== undefined) await store.ready();
const fleet = new RedisFleet({ redis: config.redisUrl, keyPrefix: config.keyPrefix });
// Rate limits, the failed-authentication throttle and console sessions: one for every replica on this Redis and prefix.
const adminState = openRedisAdminState({ redis: config.redisUrl, keyPrefix: config.keyPrefix });
const closing = new AbortController();
const app = createApp({
  store,
  closing: closing.signal,
  fleet,
  adminState,
  adminKeys: config.adminKeys,
  logger,
  maxTokenTtl: config.maxTokenTtl,
  registry,
  ...(tokenInspector === undefined ? {} : { tokenInspector }),
  authFailureLimit: config.authFailureLimit,
  ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
});
const stopPruner = startPruner(store, logger);

if (config.adminKeys.length === 0) {
  logger.warn('no admin keys configured (REVOCAST_ADMIN_KEYS): the admin API refuses every call');
}

const server: Server = app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info(
    { host: config.host, port, keyPrefix: config.keyPrefix, adminKeys: config.adminKeys.map((k) => k.name), record: config.database === undefined ? 'redis' : 'postgres' },
    'revocation service listening',
  );
});
server.on('error', (err) => {
  logger.fatal({ err }, 'could not start the HTTP server');
  process.exit(1);
});

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new requests, finishing the ones in flight');
  stopPruner();
  // Change streams never finish by themselves: end them now, clients resume elsewhere with Last-Event-ID.
  closing.abort();
  const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  force.unref();
  server.close(() => {
    void Promise.allSettled([store.close(), fleet.close(), adminState.close()]).finally(() => {
      logger.info('stopped');
      process.exit(0);
    });
  });
  server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
