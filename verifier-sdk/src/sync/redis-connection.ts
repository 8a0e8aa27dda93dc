import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../protocol/index.js';

/** A connection to one Redis (standalone or through Sentinel) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Opens an ioredis client for a Redis URL parsed with `parseRedisTarget`: one
 * server, the master behind Sentinel, or a Cluster. The service and the
 * verifiers connect through it, so both read the same URLs. On a cluster,
 * `sharded` makes `SSUBSCRIBE` go to the node that owns the channel's slot.
 *
 * @example
 * ```ts
 * const redis = openRedis(parseRedisTarget('redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/revocast'), {});
 * const verifier = createVerifier({ redis, key, algorithms: ['RS256'] });
 * ```
 */
export function openRedis(target: RedisTarget, options: RedisOptions, sharded = false): RedisClient {
  if (target.mode === 'standalone') return new Redis(target.url, options);
  const auth = {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.tls ? { tls: {} } : {}),
  };
  if (target.mode === 'sentinel') {
    return new Redis({
      ...options,
      ...auth,
      sentinels: target.sentinels.map((node) => ({ ...node })),
      name: target.masterName,
      db: target.db,
      ...(target.sentinelUsername === undefined ? {} : { sentinelUsername: target.sentinelUsername }),
      ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
      ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      // Learn of a failover from the Sentinels' +switch-master at once, not from the next failed command.
      failoverDetector: true,
      ...(target.role === 'replica' ? { role: 'slave' as const } : {}),
    });
  }
  return new Cluster(
    target.nodes.map((node) => ({ ...node })),
    clusterOptions(options, auth, sharded),
  );
}

function clusterOptions(options: RedisOptions, auth: Partial<RedisOptions>, sharded: boolean): ClusterOptions {
  const { retryStrategy, enableOfflineQueue, ...perNode } = options;
  return {
    redisOptions: { ...perNode, ...auth },
    ...(typeof retryStrategy === 'function' ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    // A node that restarts keeps its slots: reconnect to it instead of waiting for a MOVED.
    clusterNodeRetryStrategy: (times: number) => Math.min(50 * 2 ** times, 2000),
    shardedSubscribers: sharded,
  };
}

/** A second connection like `client`, for pub/sub. */
export function duplicateRedis(client: RedisClient, options: RedisOptions, sharded: boolean): RedisClient {
  if (client instanceof Cluster) {
    const own = clusterOptions(options, {}, sharded);
    // Keep the credentials and TLS of the shared cluster's nodes.
    return client.duplicate([], { ...own, redisOptions: { ...client.options.redisOptions, ...own.redisOptions } });
  }
  return client.duplicate(options);
}
