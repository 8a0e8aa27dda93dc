import { DEFAULT_KEY_PREFIX } from '@revocast/verifier-sdk/protocol';

/**
 * Every default of the service, in one place: what an environment variable
 * or an option is when it is not given, and the timings the service keeps
 * by itself. The README's configuration table documents the environment's;
 * the option types point here. Limits that are rules rather than defaults
 * (an id's length, the largest batch, the longest `wait=all`) stay with the
 * rule they belong to.
 */
export const DEFAULTS = {
  /** `REDIS_URL`. */
  redisUrl: 'redis://127.0.0.1:6379',
  /** `REVOCAST_KEY_PREFIX`: the wire protocol's own default, so a verifier without a prefix finds the service. */
  keyPrefix: DEFAULT_KEY_PREFIX,
  /** `PORT`. */
  port: 8080,
  /** `HOST`. */
  host: '127.0.0.1',
  /** `LOG_LEVEL`. */
  logLevel: 'info',
  /** `REVOCAST_MAX_TOKEN_TTL` (`1d`), in seconds. */
  maxTokenTtlSeconds: 86_400,
  /** `REVOCAST_RETENTION_GRACE` (`5m`), in seconds. */
  retentionGraceSeconds: 300,
  /** `REVOCAST_ADMIN_RATE_LIMIT` (`unlimited`): keys that set no rate are not limited. */
  adminRateLimit: undefined,
  /** `REVOCAST_AUTH_FAILURE_LIMIT` (`10/m`): failed admin authentications per client address. */
  authFailureLimit: { requests: 10, perMs: 60_000 },
  /** `REVOCAST_DATABASE_SCHEMA`. */
  databaseSchema: 'revocast',
  /** `REVOCAST_OUTBOX_INTERVAL` (`1s`). */
  outboxIntervalMs: 1000,
  /** `REVOCAST_RECONCILE_INTERVAL` (`1m`). */
  reconcileIntervalMs: 60_000,
  /** `REVOCAST_SNAPSHOT_INTERVAL` (`1m`) and `REVOCAST_SNAPSHOT_CHANGES` (`10000`): when the compact snapshot is written. */
  snapshot: { everyMs: 60_000, everyChanges: 10_000 },
  /** Without PostgreSQL: how often the head watermark is written, so verifiers reading a replica can date what they read. */
  headWatermarkIntervalMs: 1000,

  /** How long a Redis command of the store or the fleet may take before it fails (a 503, or a retry from the outbox). */
  redisCommandTimeoutMs: 3000,
  /** The same for the shared admin state; shorter, since a sign-in or a rate-limit check waits on it. */
  adminStateCommandTimeoutMs: 1000,
  /** A lost Redis connection is retried after 50 ms, doubling up to 2 s between tries. */
  redisReconnectMs: { first: 50, max: 2000 },
  /** How long a change waits for Redis before it is answered anyway (it is committed; the outbox delivers it). */
  publishWaitMs: 1000,
  /** The PostgreSQL pool of the durable record. */
  postgres: {
    maxConnections: 10,
    connectionTimeoutMs: 5000,
    queryTimeoutMs: 15_000,
    /** How long a change waits for the history lock. */
    lockTimeoutMs: 5000,
    /** How long a crashed transaction may hold the lock. */
    idleInTransactionTimeoutMs: 30_000,
    /** Migrations are retried until PostgreSQL answers: 200 ms more each try, up to 2 s. */
    retryStepMs: 200,
    retryMaxMs: 2000,
  },

  /** Largest accepted JSON body, and `/oauth2/*` form. */
  bodyLimit: '16kb',
  /** Largest accepted body of `POST /v1/revocations/batch` (up to 10,000 items). */
  batchBodyLimit: '10mb',
  /** Most fields of an `/oauth2/*` form. */
  oauthFormFields: 10,
  /** Largest accepted console form, and its most fields. */
  consoleBodyLimit: '8kb',
  consoleFormFields: 20,

  /** How often expired revocations are pruned from the store. */
  pruneIntervalMs: 10_000,
  /** How long requests in flight get to finish at shutdown. */
  shutdownGraceMs: 10_000,
  /** A comment line on an idle change stream this often keeps proxies from closing it. */
  keepaliveMs: 15_000,
  /** `wait=all` without a `timeout`, and the console's wait after a change. */
  waitTimeoutMs: 2000,
  /** How long a fleet status read waits for verifiers to confirm they are at the head. */
  fleetProbeMs: 250,
  /** Metric scrapes within this window share one read of the fleet. */
  fleetMetricsCacheMs: 1000,
  /** How often the console's live view refreshes the verifier table. */
  consoleFleetRefreshMs: 1000,
  /** How long a console sign-in lasts. */
  consoleSessionTtlMs: 8 * 3_600_000,
  /** How long a console sign-in form may be filled in before it expires. */
  consoleSignInFormTtlMs: 10 * 60_000,
  /** How long browsers keep the console's script, stylesheet and icon. */
  consoleAssetMaxAgeSeconds: 300,
  /** `limit` of `GET /v1/revocations` when not given, and the CLI's page size. */
  listLimit: 100,

  /** The CLI's `--timeout`, in seconds: a request is given up after it. */
  cliRequestTimeoutSeconds: 10,
  /** `revocast tail` retries a lost stream after 250 ms, doubling up to 5 s between tries. */
  cliReconnectMs: { first: 250, max: 5000 },
} as const;

/** The URL of a service on the default host and port: where the CLI looks when `REVOCAST_URL` is not set. */
export const DEFAULT_SERVICE_URL = `http://${DEFAULTS.host}:${DEFAULTS.port}`;
