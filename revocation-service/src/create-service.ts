import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { memoryAdminState, openRedisAdminState, type AdminState } from './admin-state/admin-state.js';
import { createApp } from './app.js';
import { DEFAULTS } from './config/defaults.js';
import type { ServiceConfig } from './config/load-config.js';
import { MemoryFleet } from './fleet/memory-fleet.js';
import { RedisFleet } from './fleet/redis-fleet.js';
import type { VerifierFleet } from './fleet/verifier-fleet.js';
import { createLogger } from './logger.js';
import { createTokenInspector, type TokenInspector } from './oauth/token-inspector.js';
import { MemoryStore } from './store/memory-store.js';
import { PostgresStore } from './store/postgres-store.js';
import { startPruner } from './store/pruner.js';
import { RedisStore } from './store/redis-store.js';
import { createSnapshotMetrics } from './metrics/snapshot-metrics.js';
import { closeServiceRedis, openServiceRedis } from './store/redis-connection.js';
import { SnapshotWriter } from './snapshot/snapshot-writer.js';
import { createRevocationMirror } from '@revocast/verifier-sdk';
import type { RevocationStore } from './store/revocation-store.js';

/**
 * Parts of the service built by the caller instead of from the
 * configuration. The service runs on them and closes them with the rest.
 */
export interface ServiceParts {
  /**
   * The record. Default: a `PostgresStore` when `config.database` is set,
   * else a `RedisStore`. A `MemoryStore` runs the whole service in this
   * process: the fleet and the admin state then live beside it too.
   */
  readonly store?: RevocationStore;
  /** The service's view of the verifiers. Default: beside a `MemoryStore`, else on Redis. `null` for none (`/v1/verifiers` and `wait=all` answer 501). */
  readonly fleet?: VerifierFleet | null;
  /** Rate-limit buckets, the failed-authentication throttle and console sessions. Default: in memory beside a `MemoryStore`, else on Redis (shared by every replica). */
  readonly adminState?: AdminState;
  /** Verifies the tokens of `/oauth2/*`. Default: from `config.tokenKeys`, or none (501). */
  readonly tokenInspector?: TokenInspector;
  /** Default: a logger at `config.logLevel`. */
  readonly logger?: Logger;
  /** Where the service's metrics go. Default: a registry of its own. The process's own metrics are the process's to add (the service's `main` does). */
  readonly registry?: Registry;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
  /** How often expired revocations are pruned from the store (ms); 0 for never (tests that compare the store before and after). Default `DEFAULTS.pruneIntervalMs`. */
  readonly pruneIntervalMs?: number;
}

/** Where a listening service answers. */
export interface ServiceAddress {
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

/** The revocation service, assembled: its app, the parts it runs on, and its lifecycle. */
export interface Service {
  readonly app: Express;
  readonly store: RevocationStore;
  readonly fleet: VerifierFleet | undefined;
  readonly adminState: AdminState;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Aborted when the service closes: open change streams (the API's and the console's) end at once. */
  readonly closing: AbortSignal;
  /**
   * Resolves once it can take requests: the token keys are imported (it
   * rejects with a `ConfigError` when they cannot be) and the store is
   * ready. Not a Redis store: Redis may still be coming up, and until it
   * answers `/readyz` says 503 and changes fail with 503.
   */
  ready(): Promise<void>;
  /** Waits for {@link Service.ready}, then listens (by default on `config.port` and `config.host`). */
  listen(port?: number, host?: string): Promise<ServiceAddress>;
  /**
   * Shuts down in order: stops accepting connections and pruning, ends the
   * change streams, lets requests in flight finish (for up to `graceMs`,
   * default 10 s, then cuts them), and then closes the store, the fleet and
   * the admin state. Every part is closed even when one fails; the first
   * failure is then thrown. Closing twice closes once.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/**
 * The one composition root of the revocation service: the store, fleet,
 * admin state, token inspector, metrics, pruner and HTTP app, built from the
 * configuration, and closed in the right order. The service's process, the
 * example app's embedded service and the tests all start the service here.
 *
 * @example
 * ```ts
 * const service = createService(loadConfig());
 * const { url } = await service.listen();
 * process.on('SIGTERM', () => void service.close());
 * ```
 */
export function createService(config: ServiceConfig, parts: ServiceParts = {}): Service {
  const clock = parts.clock ?? Date.now;
  const logger = parts.logger ?? createLogger(config.logLevel);
  const registry = parts.registry ?? new Registry();
  const store = parts.store ?? openStore(config, logger, registry);
  const inMemory = store instanceof MemoryStore;
  const fleet =
    parts.fleet === null
      ? undefined
      : (parts.fleet ??
        (inMemory ? new MemoryFleet(store, clock) : new RedisFleet({ redis: config.redisUrl, keyPrefix: config.keyPrefix })));
  const adminState =
    parts.adminState ??
    (inMemory ? memoryAdminState(clock) : openRedisAdminState({ redis: config.redisUrl, keyPrefix: config.keyPrefix, clock }));
  const tokenInspector =
    parts.tokenInspector ?? (config.tokenKeys === undefined ? undefined : createTokenInspector(config.tokenKeys, clock));
  const closing = new AbortController();
  const app = createApp({
    store,
    ...(fleet === undefined ? {} : { fleet }),
    adminState,
    adminKeys: config.adminKeys,
    logger,
    maxTokenTtl: config.maxTokenTtl,
    registry,
    closing: closing.signal,
    clock,
    authFailureLimit: config.authFailureLimit,
    ...(tokenInspector === undefined ? {} : { tokenInspector }),
    ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
  });
  const pruneIntervalMs = parts.pruneIntervalMs ?? DEFAULTS.pruneIntervalMs;
  const stopPruner = pruneIntervalMs > 0 ? startPruner(store, logger, pruneIntervalMs, clock) : () => {};
  const stopSnapshots = inMemory || config.snapshot === undefined ? async () => {} : startSnapshots(config, logger, registry);
  if (config.adminKeys.length === 0) logger.warn('no admin keys configured (REVOCAST_ADMIN_KEYS): the admin API refuses every call');

  const servers: Server[] = [];
  let readiness: Promise<void> | undefined;
  let closed: Promise<void> | undefined;

  const ready = (): Promise<void> => {
    // The durable record must be migrated before the first request; a Redis record starts answering whenever Redis does.
    readiness ??= Promise.all([tokenInspector?.ready(), store instanceof RedisStore ? undefined : store.ready()]).then(() => undefined);
    return readiness;
  };

  const listen = async (port: number = config.port, host: string = config.host): Promise<ServiceAddress> => {
    await ready();
    if (closed !== undefined) throw new Error('the service is closed');
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(port, host, () => {
        listening.off('error', reject);
        resolve(listening);
      });
      listening.once('error', reject);
    });
    servers.push(server);
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, host, port: bound };
  };

  const shutDown = async (graceMs: number): Promise<void> => {
    stopPruner();
    const snapshotsStopped = stopSnapshots();
    // Change streams never finish by themselves: end them first, so only real requests hold the servers open.
    closing.abort();
    await Promise.all(servers.map((server) => stopServing(server, graceMs)));
    const results = await Promise.allSettled([snapshotsStopped, store.close(), fleet?.close(), adminState.close()]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  };

  return {
    app,
    store,
    fleet,
    adminState,
    logger,
    registry,
    closing: closing.signal,
    ready,
    listen,
    close: (options = {}) => (closed ??= shutDown(options.graceMs ?? DEFAULTS.shutdownGraceMs)),
  };
}

/**
 * The compact snapshot verifiers join from: a mirror of the list with every
 * id (it follows the history in Redis as a verifier does, and starts from
 * the snapshot itself when one fits) and the writer, on a connection of
 * their own. Every replica runs them; the newest snapshot wins. Returns
 * what stops them.
 */
function startSnapshots(config: ServiceConfig, logger: Logger, registry: Registry): () => Promise<void> {
  const snapshot = config.snapshot as NonNullable<ServiceConfig['snapshot']>;
  const redis = openServiceRedis(config.redisUrl, {
    commandTimeoutMs: DEFAULTS.redisCommandTimeoutMs,
    connectionName: 'revocast-service-snapshot',
  });
  const log = logger.child({ component: 'snapshot' });
  // Entries are kept as long as the store keeps them (the retention grace covers the verifiers' clock tolerance).
  const mirror = createRevocationMirror({ redis, keyPrefix: config.keyPrefix, clockTolerance: config.retentionGrace, logger: log });
  const writer = new SnapshotWriter({
    redis,
    keyPrefix: config.keyPrefix,
    mirror,
    logger: log,
    everyChanges: snapshot.everyChanges,
    everyMs: snapshot.everyMs,
    metrics: createSnapshotMetrics(registry),
  });
  writer.start();
  return async () => {
    await writer.close();
    await mirror.close();
    await closeServiceRedis({ client: redis, owned: true });
  };
}

/** With DATABASE_URL, PostgreSQL is the record and Redis a projection re-seeded from it; without, Redis is the record. */
function openStore(config: ServiceConfig, logger: Logger, registry: Registry): RevocationStore {
  const options = {
    redis: config.redisUrl,
    keyPrefix: config.keyPrefix,
    maxTokenTtlMs: config.maxTokenTtl * 1000,
    retentionGraceMs: config.retentionGrace * 1000,
  };
  if (config.database === undefined) return new RedisStore(options);
  return new PostgresStore({
    ...options,
    database: config.database.url,
    schema: config.database.schema,
    outboxIntervalMs: config.database.outboxIntervalMs,
    reconcileIntervalMs: config.database.reconcileIntervalMs,
    logger,
    registry,
  });
}

/** Stops accepting connections, then waits for those open to finish, cutting them after `graceMs`. */
function stopServing(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
