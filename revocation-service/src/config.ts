import { DEFAULT_KEY_PREFIX, RedisUrlError, keyPrefixProblem, parseRedisTarget } from '@revocast/verifier-sdk/protocol';
import type { AdminKey } from './http/admin-auth.js';

/** The service configuration, read once from the environment at start. */
export interface ServiceConfig {
  readonly redisUrl: string;
  readonly port: number;
  readonly host: string;
  readonly adminKeys: readonly AdminKey[];
  /** Seconds. */
  readonly maxTokenTtl: number;
  /** Seconds. */
  readonly retentionGrace: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly keyPrefix: string;
  /** Present when `DATABASE_URL` is set: PostgreSQL is then the record and Redis a projection of it. */
  readonly database?: DatabaseConfig;
}

/** The durable record's settings. Intervals are in milliseconds. */
export interface DatabaseConfig {
  readonly url: string;
  readonly schema: string;
  readonly outboxIntervalMs: number;
  readonly reconcileIntervalMs: number;
}

/** A configuration problem; the message names the variable. */
export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const MIN_SECRET_LENGTH = 16;

/** Seconds from `3600`, `90s`, `15m`, `1h` or `7d`. */
export function parseDuration(variable: string, value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match === null ? Number.NaN : Number(match[1]) * (UNITS[match[2] || 's'] as number);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(variable, `must be a positive duration such as 3600, 90s, 15m, 1h or 7d (got ${JSON.stringify(value)})`);
  }
  return seconds;
}

/** `name:secret,name:secret`. Names go into audit logs; secrets must be long enough to resist guessing. */
export function parseAdminKeys(value: string | undefined): AdminKey[] {
  if (value === undefined || value.trim() === '') return [];
  const keys: AdminKey[] = [];
  for (const [index, pair] of value.split(',').entries()) {
    const colon = pair.indexOf(':');
    const name = pair.slice(0, colon).trim();
    const secret = pair.slice(colon + 1).trim();
    const where = `entry ${index + 1}`;
    if (colon < 0) throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} must be name:secret`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} has an invalid name (letters, digits, "_", "." and "-", up to 64)`);
    }
    if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) needs a secret of at least ${MIN_SECRET_LENGTH} characters without spaces`);
    }
    if (keys.some((key) => key.name === name)) throw new ConfigError('REVOCAST_ADMIN_KEYS', `names key ${name} twice`);
    keys.push({ name, secret });
  }
  return keys;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new ConfigError('PORT', `must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`);
  return port;
}

function parseRedisUrl(value: string | undefined): string {
  const url = value === undefined || value === '' ? 'redis://127.0.0.1:6379' : value;
  try {
    parseRedisTarget(url);
  } catch (err) {
    if (err instanceof RedisUrlError) throw new ConfigError('REDIS_URL', err.message);
    throw err;
  }
  return url;
}

const MS_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from `250ms`, `1s`, `5m` or a bare number of seconds. */
export function parseInterval(variable: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * (MS_UNITS[match[2] ?? 's'] as number);
  if (!Number.isSafeInteger(ms) || ms < 10) {
    throw new ConfigError(variable, `must be an interval of at least 10ms such as 250ms, 1s or 5m (got ${JSON.stringify(value)})`);
  }
  return ms;
}

function parseDatabase(env: NodeJS.ProcessEnv): DatabaseConfig | undefined {
  const url = env.DATABASE_URL;
  if (url === undefined || url === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
    throw new ConfigError('DATABASE_URL', 'must be a URL such as postgres://user:password@host:5432/revocast');
  }
  const schema = env.REVOCAST_DATABASE_SCHEMA ?? 'revocast';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('REVOCAST_DATABASE_SCHEMA', 'must be 1 to 63 lowercase letters, digits or "_", not starting with a digit');
  }
  return {
    url,
    schema,
    outboxIntervalMs: parseInterval('REVOCAST_OUTBOX_INTERVAL', env.REVOCAST_OUTBOX_INTERVAL ?? '1s'),
    reconcileIntervalMs: parseInterval('REVOCAST_RECONCILE_INTERVAL', env.REVOCAST_RECONCILE_INTERVAL ?? '1m'),
  };
}

/** Reads and checks the configuration; throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const logLevel = (env.LOG_LEVEL ?? 'info') as ServiceConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const keyPrefix = env.REVOCAST_KEY_PREFIX ?? DEFAULT_KEY_PREFIX;
  const prefixProblem = keyPrefixProblem(keyPrefix);
  if (prefixProblem !== undefined) throw new ConfigError('REVOCAST_KEY_PREFIX', prefixProblem);
  return {
    redisUrl: parseRedisUrl(env.REDIS_URL),
    port: parsePort(env.PORT),
    host: env.HOST ?? '127.0.0.1',
    adminKeys: parseAdminKeys(env.REVOCAST_ADMIN_KEYS),
    maxTokenTtl: parseDuration('REVOCAST_MAX_TOKEN_TTL', env.REVOCAST_MAX_TOKEN_TTL ?? '1d'),
    retentionGrace: parseDuration('REVOCAST_RETENTION_GRACE', env.REVOCAST_RETENTION_GRACE ?? '5m'),
    logLevel,
    keyPrefix,
    ...withDatabase(parseDatabase(env)),
  };
}

function withDatabase(database: DatabaseConfig | undefined): { database?: DatabaseConfig } {
  return database === undefined ? {} : { database };
}
