import type { AdminKey, RateLimit } from '../http/admin-auth.js';
import { parseAdminKeys } from './admin-keys.js';
import { ConfigError } from './config-error.js';
import { parseDatabase, type DatabaseConfig } from './database-config.js';
import { DEFAULTS } from './defaults.js';
import { parseDuration } from './duration-variables.js';
import { parseHost, parsePort, parseTrustProxy } from './http-config.js';
import { parseRateLimit } from './rate-limit.js';
import { parseKeyPrefix, parseRedisUrl } from './redis-config.js';
import { parseSnapshot, type SnapshotConfig } from './snapshot-config.js';
import { parseTokenKeys, type TokenKeyConfig } from './token-keys.js';

/** The service configuration, read once from the environment at start. */
export interface ServiceConfig {
  readonly redisUrl: string;
  readonly port: number;
  readonly host: string;
  readonly adminKeys: readonly AdminKey[];
  /** `REVOCAST_AUTH_FAILURE_LIMIT`: failed admin authentications per client address before 429s (default 10/m); `null` for no limit. */
  readonly authFailureLimit: RateLimit | null;
  /** Seconds. */
  readonly maxTokenTtl: number;
  /** Seconds. */
  readonly retentionGrace: number;
  readonly logLevel: LogLevel;
  readonly keyPrefix: string;
  /** Express `trust proxy` (`REVOCAST_TRUST_PROXY`): `true`, a hop count, or addresses such as `loopback`. */
  readonly trustProxy?: boolean | number | string;
  /** Absent: the OAuth endpoints answer 501. */
  readonly tokenKeys?: TokenKeyConfig;
  /** Present when `DATABASE_URL` is set: PostgreSQL is then the record and Redis a projection of it. */
  readonly database?: DatabaseConfig;
  /** When the compact snapshot is written; absent (`REVOCAST_SNAPSHOT_INTERVAL=off`): never. */
  readonly snapshot?: SnapshotConfig;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

function parseLogLevel(value: string | undefined): LogLevel {
  const level = value ?? DEFAULTS.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}

/** A duration variable in seconds, or its default when it is not set. */
function seconds(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const value = env[variable];
  return value === undefined ? fallback : parseDuration(variable, value);
}

/** A rate limit variable; unset or empty, its default. */
function rateLimit(env: NodeJS.ProcessEnv, variable: string, fallback: RateLimit | undefined): RateLimit | undefined {
  const value = env[variable];
  return value === undefined || value === '' ? fallback : parseRateLimit(variable, value);
}

/**
 * Reads and checks the configuration, each variable by the reader of its
 * concern (Redis, PostgreSQL, HTTP, admin keys, token keys, durations);
 * throws {@link ConfigError} naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const logLevel = parseLogLevel(env.LOG_LEVEL);
  const keyPrefix = parseKeyPrefix(env.REVOCAST_KEY_PREFIX);
  return {
    redisUrl: parseRedisUrl(env.REDIS_URL),
    port: parsePort(env.PORT),
    host: parseHost(env.HOST),
    adminKeys: parseAdminKeys(env.REVOCAST_ADMIN_KEYS, rateLimit(env, 'REVOCAST_ADMIN_RATE_LIMIT', DEFAULTS.adminRateLimit)),
    authFailureLimit: rateLimit(env, 'REVOCAST_AUTH_FAILURE_LIMIT', DEFAULTS.authFailureLimit) ?? null,
    maxTokenTtl: seconds(env, 'REVOCAST_MAX_TOKEN_TTL', DEFAULTS.maxTokenTtlSeconds),
    retentionGrace: seconds(env, 'REVOCAST_RETENTION_GRACE', DEFAULTS.retentionGraceSeconds),
    logLevel,
    keyPrefix,
    ...optional('tokenKeys', parseTokenKeys(env)),
    ...optional('trustProxy', parseTrustProxy(env.REVOCAST_TRUST_PROXY)),
    ...optional('database', parseDatabase(env)),
    ...optional('snapshot', parseSnapshot(env)),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
