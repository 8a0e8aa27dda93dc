import { RedisUrlError, keyPrefixProblem, parseRedisTarget } from '@revocast/verifier-sdk/protocol';
import { ConfigError } from './config-error.js';
import { DEFAULTS } from './defaults.js';

/** `REDIS_URL`: standalone, Sentinel or Cluster, checked by the same reader the connections use. */
export function parseRedisUrl(value: string | undefined): string {
  const url = value === undefined || value === '' ? DEFAULTS.redisUrl : value;
  try {
    const target = parseRedisTarget(url);
    if (target.mode === 'sentinel' && target.role === 'replica') {
      throw new RedisUrlError(
        'names replicas (role=replica), but the service writes: give it the master (drop role=replica); verifiers may read replicas',
      );
    }
  } catch (err) {
    if (err instanceof RedisUrlError) throw new ConfigError('REDIS_URL', err.message);
    throw err;
  }
  return url;
}

/** `REVOCAST_KEY_PREFIX`: the protocol's rule for a prefix (it becomes the keys' hash tag). */
export function parseKeyPrefix(value: string | undefined): string {
  const keyPrefix = value ?? DEFAULTS.keyPrefix;
  const problem = keyPrefixProblem(keyPrefix);
  if (problem !== undefined) throw new ConfigError('REVOCAST_KEY_PREFIX', problem);
  return keyPrefix;
}
