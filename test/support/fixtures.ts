import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { Redis } from 'ioredis';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { createVerifier, type Verifier, type VerifierOptions } from '@revocast/verifier-sdk';
import pg from 'pg';
import type { Registry } from 'prom-client';
import {
  MemoryStore,
  PostgresStore,
  createLogger,
  createService,
  loadConfig,
  memoryAdminState,
  type AdminKey,
  type RateLimit,
  type RevocationInput,
  type RevocationStore,
  type Service,
  type ServiceConfig,
  type ServiceParts,
  type TokenInspector,
  type VerifierFleet,
} from '@revocast/revocation-service';
import { planRevocation } from '../../revocation-service/src/model/revocation.js';

/** HS256 secret shared by the test issuer and the verifiers. */
export const SECRET = new TextEncoder().encode('revocast-test-secret-of-32-bytes!');
export const ADMIN_SECRET = 'admin-secret-for-tests-0123456789';
export const MAX_TOKEN_TTL = 3600;

export function uniquePrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/** Signs an HS256 token; `iat` may be fractional (milliseconds), as Revocast recommends. */
export async function signToken(claims: JWTPayload & { sid?: string } = {}, key: Uint8Array = SECRET): Promise<string> {
  const now = Date.now() / 1000;
  return new SignJWT({ jti: randomUUID(), sub: 'alice', iat: now, exp: Math.floor(now) + 600, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(key);
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 2): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await predicate()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Collects pino lines as parsed objects. */
export function captureLogs(): { lines: Array<Record<string, unknown>>; write(line: string): void } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
}

export interface ServiceHandle {
  readonly url: string;
  readonly store: RevocationStore;
  /** The service's view of the verifiers: Redis-backed with `redisUrl`, in-process with a `MemoryStore`. */
  readonly fleet: VerifierFleet | undefined;
  readonly logs: Array<Record<string, unknown>>;
  /** The service itself, as `createService` assembled it. */
  readonly service: Service;
  /** Calls the admin API with the test admin key. */
  admin(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The service's configuration for a test, read by the service's own reader
 * as the environment would give it: Redis at `redisUrl` under `keyPrefix`,
 * tokens living up to {@link MAX_TOKEN_TTL}, a minute of retention grace,
 * and the given admin keys (none by default).
 */
export function serviceConfig(
  options: {
    redisUrl?: string;
    keyPrefix?: string;
    adminKeys?: readonly AdminKey[];
    authFailureLimit?: RateLimit | null;
    snapshotInterval?: string;
  } = {},
): ServiceConfig {
  const config = loadConfig({
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
    // No compact snapshot unless a test asks for one: its mirror and writer would be connections and work of their own.
    REVOCAST_SNAPSHOT_INTERVAL: options.snapshotInterval ?? 'off',
    ...(options.keyPrefix === undefined ? {} : { REVOCAST_KEY_PREFIX: options.keyPrefix }),
    REVOCAST_MAX_TOKEN_TTL: String(MAX_TOKEN_TTL),
    REVOCAST_RETENTION_GRACE: '60',
    LOG_LEVEL: 'debug',
  });
  // Keys and limits as data: test secrets need not pass the strength check a deployment's must.
  return {
    ...config,
    adminKeys: options.adminKeys ?? [],
    ...(options.authFailureLimit === undefined ? {} : { authFailureLimit: options.authFailureLimit }),
  };
}

/**
 * Starts the service on a free port through `createService`, as the
 * service's process does: on Redis (`redisUrl`: store, fleet and admin state
 * there), or on a store of the test's (`store`; a `MemoryStore` brings its
 * fleet and admin state in memory). A test store without `redisUrl` gets no
 * fleet unless it is given one, and its admin state in memory.
 */
export async function startService(
  options: {
    redisUrl?: string;
    keyPrefix?: string;
    store?: RevocationStore;
    fleet?: VerifierFleet;
    adminKeys?: AdminKey[];
    clock?: () => number;
    tokenInspector?: TokenInspector;
    /** `REVOCAST_SNAPSHOT_INTERVAL`; default `off`. */
    snapshotInterval?: string;
  } = {},
): Promise<ServiceHandle> {
  const config = serviceConfig({ ...options, adminKeys: options.adminKeys ?? [{ name: 'tests', secret: ADMIN_SECRET }] });
  const logs = captureLogs();
  // Without a Redis of the test's, nothing may open a connection to the default URL.
  const offRedis = options.redisUrl === undefined && !(options.store instanceof MemoryStore);
  const parts: ServiceParts = {
    logger: createLogger('debug', logs),
    ...(options.store === undefined ? {} : { store: options.store }),
    ...(options.fleet === undefined ? (offRedis ? { fleet: null } : {}) : { fleet: options.fleet }),
    ...(offRedis ? { adminState: memoryAdminState(options.clock) } : {}),
    ...(options.tokenInspector === undefined ? {} : { tokenInspector: options.tokenInspector }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    // No pruning behind a test's back: tests compare the store before and after a request, and prune when they mean to.
    pruneIntervalMs: 0,
  };
  const service = createService(config, parts);
  await service.store.ready();
  const { url } = await service.listen(0, '127.0.0.1');
  return {
    url,
    store: service.store,
    fleet: service.fleet,
    logs: logs.lines,
    service,
    admin: (path, init = {}) =>
      fetch(url + path, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          authorization: `Bearer ${ADMIN_SECRET}`,
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers,
        },
        ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      }),
    // Requests still in flight when a test ends are cut, as they always were here: no test waits out a grace period.
    close: () => service.close({ graceMs: 0 }),
  };
}

export function memoryStore(): MemoryStore {
  return new MemoryStore({ maxTokenTtlMs: MAX_TOKEN_TTL * 1000, retentionGraceMs: 60_000 });
}

/** A verifier for the test issuer's tokens, quiet unless a test gives it a logger. */
export function testVerifier(
  options: (Partial<VerifierOptions> & Pick<VerifierOptions, 'redis'>) | (Partial<VerifierOptions> & Pick<VerifierOptions, 'source'>),
): Verifier {
  return createVerifier({
    key: SECRET,
    algorithms: ['HS256'],
    pollInterval: 0.1,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    ...options,
  } as VerifierOptions);
}

/** Resolves to the error code `verify` rejects with, or 'accepted'. */
export async function outcome(verifier: Verifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Signs any header and payload with HS256 by hand, for tokens jose would refuse to produce. */
export function signRawHs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: Uint8Array = SECRET): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** Records a revocation straight in a store, as the admin API would after validation. */
export async function revokeInStore(store: RevocationStore, input: RevocationInput): Promise<void> {
  const now = Date.now();
  await store.revoke(planRevocation(input, { now, maxTokenTtlMs: MAX_TOKEN_TTL * 1000, actor: 'tests' }), { actor: 'tests', now });
}

/** Everything a change touches in Redis under `keyPrefix`, to prove a refused request wrote nothing. */
export async function storeState(redis: Redis, keyPrefix: string) {
  const keys = redisKeys(keyPrefix);
  const [meta, entries, cutoffs, details, log, bySub] = await Promise.all([
    redis.hgetall(keys.meta),
    redis.zcard(keys.entries),
    redis.hlen(keys.cutoffs),
    redis.hlen(keys.details),
    redis.xlen(keys.log),
    redis.zcard(keys.bySub),
  ]);
  return { meta, entries, cutoffs, details, log, bySub };
}

/** PostgreSQL for the tests: DATABASE_URL, else the server on this machine (database `test`). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A durable store on its own schema (named like the key prefix), quick to notice what Redis does. */
export function postgresStore(options: {
  redisUrl: string;
  keyPrefix: string;
  schema?: string;
  registry?: Registry;
  logs?: { write(line: string): void };
  outboxIntervalMs?: number;
}): PostgresStore {
  return new PostgresStore({
    database: DATABASE_URL,
    schema: options.schema ?? options.keyPrefix,
    redis: options.redisUrl,
    keyPrefix: options.keyPrefix,
    maxTokenTtlMs: MAX_TOKEN_TTL * 1000,
    retentionGraceMs: 60_000,
    logger: createLogger('debug', options.logs ?? { write() {} }),
    outboxIntervalMs: options.outboxIntervalMs ?? 100,
    reconcileIntervalMs: 3_600_000,
    commandTimeoutMs: 1000,
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
}

/** Runs SQL against the test database (to look at the record, or drop a test's schema). */
export async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
