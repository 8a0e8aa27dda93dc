import type { RedisOptions } from 'ioredis';
import { openRedis, type RedisClient } from '@revocast/verifier-sdk';
import { RedisUrlError, parseRedisTarget } from '@revocast/verifier-sdk/protocol';
import { DEFAULTS } from '../config/defaults.js';

/** The service's Redis connection, and whether the service opened it (and so closes it). */
export interface ServiceRedis {
  readonly client: RedisClient;
  readonly owned: boolean;
}

export interface ServiceRedisOptions {
  readonly commandTimeoutMs: number;
  /** `CLIENT SETNAME`, so an operator can tell the connections apart. */
  readonly connectionName: string;
  /**
   * A pub/sub connection: it queues its SUBSCRIBE until connected and never
   * times out while idle; on a cluster it subscribes on the channel's shard
   * (SSUBSCRIBE), where the service and the verifiers publish.
   */
  readonly subscriber?: boolean;
}

/** After a lost connection: the first retry soon, then doubling, never more than a couple of seconds apart. */
const retryStrategy = (attempt: number): number => Math.min(DEFAULTS.redisReconnectMs.first * 2 ** attempt, DEFAULTS.redisReconnectMs.max);

/**
 * Opens a connection of the service from a Redis URL: standalone,
 * `redis+sentinel://` or `redis+cluster://`, read by the SDK's
 * `parseRedisTarget` and opened by its `openRedis`, exactly as verifiers do.
 * Every connection the service opens comes from here, so a URL that works
 * for one feature works for all of them.
 */
export function openServiceRedis(url: string, options: ServiceRedisOptions): RedisClient {
  const connection: RedisOptions = options.subscriber
    ? {
        commandTimeout: undefined,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        connectionName: options.connectionName,
        retryStrategy,
      }
    : {
        commandTimeout: options.commandTimeoutMs,
        // A write that cannot be sent now fails now (503, or a retry from the outbox) instead of landing later.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectionName: options.connectionName,
        retryStrategy,
        // A node that answers READONLY was demoted by a failover while this connection stayed on it: reconnect
        // (through Sentinel, to the new master) instead of failing every write until something else breaks the
        // connection. The failed command is not resent: the caller retries (503, or the outbox's next pass).
        reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 1 : false),
      };
  const target = parseRedisTarget(url);
  if (target.mode === 'sentinel' && target.role === 'replica') {
    throw new RedisUrlError(
      'names replicas (role=replica), but the service writes: give it the master (drop role=replica); verifiers may read replicas',
    );
  }
  const client = openRedis(target, connection, options.subscriber === true);
  // Reconnect errors are reported through /readyz, failed requests and the outbox, not as crashes.
  client.on('error', () => {});
  return client;
}

/**
 * Opens the service's connection from a URL (standalone, Sentinel or
 * Cluster), or adopts a client the caller owns.
 */
export function connectServiceRedis(redis: string | RedisClient, commandTimeoutMs: number): ServiceRedis {
  if (typeof redis === 'string')
    return { client: openServiceRedis(redis, { commandTimeoutMs, connectionName: 'revocast-service' }), owned: true };
  // Errors of a shared client are reported the same way; one more listener keeps them from crashing the host.
  redis.on('error', () => {});
  return { client: redis, owned: false };
}

/** Closes a connection the service opened; leaves a shared one alone. */
export async function closeServiceRedis(redis: ServiceRedis): Promise<void> {
  if (!redis.owned) return;
  try {
    await redis.client.quit();
  } catch {
    redis.client.disconnect();
  }
}
