import { ConfigError, DEFAULTS, loadConfig, parseDuration, type ServiceConfig } from '@revocast/revocation-service';
import { keyPrefixProblem } from '@revocast/verifier-sdk/protocol';

/** The example's configuration, read once from the environment at start. Durations in seconds. */
export interface ExampleConfig {
  readonly host: string;
  /** The web app's port (`PORT`, default 3000). */
  readonly port: number;
  /** The embedded service's port (`SERVICE_PORT`, default the service's own, 8080). */
  readonly servicePort: number;
  /** `REDIS_URL`: app state and revocations in Redis, shared by every instance. */
  readonly redisUrl: string | undefined;
  /** `REVOCAST_SERVICE_URL` and `REVOCAST_ADMIN_KEY`: a service in its own process instead of the embedded one. */
  readonly remoteService: { readonly url: string; readonly adminKey: string } | undefined;
  /** `DEMO_SIGNING_SECRET`; `undefined` for a random one per process. */
  readonly signingSecret: string | undefined;
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  /** `APP_KEY_PREFIX`: the app's own Redis keys, apart from the service's. */
  readonly appKeyPrefix: string;
  readonly trustProxy: boolean | number | string;
  /** The embedded service's settings, and the key prefix the verifier follows. */
  readonly service: ServiceConfig;
}

const MIN_SIGNING_SECRET_LENGTH = 32;

function port(variable: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > 65535)
    throw new ConfigError(variable, `must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`);
  return parsed;
}

function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

function remoteService(env: NodeJS.ProcessEnv): ExampleConfig['remoteService'] {
  const url = env.REVOCAST_SERVICE_URL;
  if (url === undefined || url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('REVOCAST_SERVICE_URL', 'must be a URL such as http://127.0.0.1:8080');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError('REVOCAST_SERVICE_URL', 'must use http: or https:');
  if (!env.REDIS_URL)
    throw new ConfigError('REDIS_URL', 'is required with REVOCAST_SERVICE_URL: the app follows the service through its Redis');
  const adminKey = env.REVOCAST_ADMIN_KEY ?? '';
  if (adminKey.length < 16)
    throw new ConfigError('REVOCAST_ADMIN_KEY', "is required with REVOCAST_SERVICE_URL: the secret of one of the service's admin keys");
  return { url, adminKey };
}

/** Reads and checks the configuration; throws {@link ConfigError} naming the first bad variable. */
export function loadExampleConfig(env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  // The service reads its port from PORT; here PORT is the web app's, so the service gets SERVICE_PORT.
  const service = loadConfig({ ...env, PORT: '', REVOCAST_ADMIN_KEYS: env.REVOCAST_ADMIN_KEYS ?? '' });
  const accessTokenTtl = parseDuration('ACCESS_TOKEN_TTL', env.ACCESS_TOKEN_TTL ?? '15m');
  const refreshTokenTtl = parseDuration('REFRESH_TOKEN_TTL', env.REFRESH_TOKEN_TTL ?? '1d');
  const remote = remoteService(env);
  if (refreshTokenTtl < accessTokenTtl) throw new ConfigError('REFRESH_TOKEN_TTL', 'must be at least ACCESS_TOKEN_TTL');
  // A subject revocation is kept for REVOCAST_MAX_TOKEN_TTL past its cutoff; a refresh token outliving it could outlive the revocation.
  if (remote === undefined && refreshTokenTtl > service.maxTokenTtl) {
    throw new ConfigError('REFRESH_TOKEN_TTL', `must not exceed REVOCAST_MAX_TOKEN_TTL (${service.maxTokenTtl} s)`);
  }
  const signingSecret = env.DEMO_SIGNING_SECRET || undefined;
  if (signingSecret !== undefined && signingSecret.length < MIN_SIGNING_SECRET_LENGTH) {
    throw new ConfigError('DEMO_SIGNING_SECRET', `must be at least ${MIN_SIGNING_SECRET_LENGTH} characters`);
  }
  const appKeyPrefix = env.APP_KEY_PREFIX ?? 'revocast-demo';
  const prefixProblem = keyPrefixProblem(appKeyPrefix);
  if (prefixProblem !== undefined) throw new ConfigError('APP_KEY_PREFIX', prefixProblem);
  if (appKeyPrefix === service.keyPrefix) throw new ConfigError('APP_KEY_PREFIX', 'must differ from REVOCAST_KEY_PREFIX');
  return {
    host: env.HOST ?? DEFAULTS.host,
    port: port('PORT', env.PORT, 3000),
    servicePort: port('SERVICE_PORT', env.SERVICE_PORT, DEFAULTS.port),
    redisUrl: env.REDIS_URL || undefined,
    remoteService: remote,
    signingSecret,
    accessTokenTtl,
    refreshTokenTtl,
    appKeyPrefix,
    trustProxy: trustProxy(env.TRUST_PROXY),
    service,
  };
}
