import type { RedisClient } from '@revocast/verifier-sdk';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { MemoryConsoleSessions, type ConsoleSessionStore } from '../console/console-sessions.js';
import { RedisConsoleSessions } from '../console/redis-console-sessions.js';
import { closeServiceRedis, connectServiceRedis } from '../store/redis-connection.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';
import { MemoryTokenBuckets, type TokenBuckets } from './token-buckets.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * What the replicas of the service must agree on: the admin keys' rate-limit
 * buckets, the failed-authentication buckets and the console sessions.
 */
export interface AdminState {
  readonly buckets: TokenBuckets;
  readonly sessions: ConsoleSessionStore;
  /** Resolves once the connection is ready; until then calls fail and the fail-safe rules apply. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The admin state in this process: for the in-memory store, and for a single instance. */
export function memoryAdminState(clock: () => number = Date.now): AdminState {
  return {
    buckets: new MemoryTokenBuckets(clock),
    sessions: new MemoryConsoleSessions(clock),
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

export interface RedisAdminStateOptions {
  /** Redis URL (standalone, `redis+sentinel://` or `redis+cluster://`), or a client the caller owns and closes. */
  readonly redis: string | RedisClient;
  /** The key prefix of the store: the keys carry its hash tag. */
  readonly keyPrefix: string;
  /** How long a call may take before it counts as a failure. Default {@link DEFAULTS.adminStateCommandTimeoutMs} (1 s). */
  readonly commandTimeoutMs?: number;
  readonly clock?: () => number;
}

/**
 * The admin state in Redis, shared by every replica that uses the same
 * Redis and key prefix. Opens its own connection through the service's
 * connection factory, so a slow revocation write never queues a sign-in.
 *
 * @example
 * ```ts
 * const adminState = openRedisAdminState({ redis: 'redis://127.0.0.1:6379', keyPrefix: 'revocast' });
 * const app = createApp({ store, adminState, adminKeys, logger, maxTokenTtl: 86400 });
 * ```
 */
export function openRedisAdminState(options: RedisAdminStateOptions): AdminState {
  const connection = connectServiceRedis(options.redis, options.commandTimeoutMs ?? DEFAULTS.adminStateCommandTimeoutMs);
  const keys = redisKeys(options.keyPrefix);
  const clock = options.clock ?? Date.now;
  return {
    buckets: new RedisTokenBuckets(connection.client, keys, clock),
    sessions: new RedisConsoleSessions(connection.client, keys, clock),
    ready: () =>
      connection.client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => connection.client.once('ready', () => resolve())),
    close: () => closeServiceRedis(connection),
  };
}
