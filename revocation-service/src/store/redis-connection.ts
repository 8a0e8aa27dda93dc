import type { RedisOptions } from 'ioredis';
import { openRedis, type RedisClient } from '@revocast/verifier-sdk';
import { parseRedisTarget } from '@revocast/verifier-sdk/protocol';

/** The service's Redis connection, and whether the service opened it (and so closes it). */
export interface ServiceRedis {
  readonly client: RedisClient;
  readonly owned: boolean;
}

/**
 * Opens the service's connection from a URL (standalone, Sentinel or
 * Cluster), or adopts a client the caller owns.
 */
export function connectServiceRedis(redis: string | RedisClient, commandTimeoutMs: number): ServiceRedis {
  const connection = typeof redis === 'string' ? { client: open(redis, commandTimeoutMs), owned: true } : { client: redis, owned: false };
  // Reconnect errors are reported through /readyz, failed requests and the outbox, not as crashes.
  connection.client.on('error', () => {});
  return connection;
}

function open(url: string, commandTimeoutMs: number): RedisClient {
  const options: RedisOptions = {
    commandTimeout: commandTimeoutMs,
    // A write that cannot be sent now fails now (503, or a retry from the outbox) instead of landing later.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'revocast-service',
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  };
  return openRedis(parseRedisTarget(url), options);
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
