import { SUPPORTED_ALGORITHMS } from '@revocast/verifier-sdk';
import { DEFAULT_KEY_PREFIX, RedisUrlError, keyPrefixProblem, parseRedisTarget } from '@revocast/verifier-sdk/protocol';
import { ServiceError } from './errors.js';
import { SCOPES, type AdminKey, type RateLimit, type Scope } from './http/admin-auth.js';
import { MAKE_A_KEY, MIN_KEY_BITS, estimateKeyBits } from './http/key-strength.js';

/**
 * How the service verifies the JWTs handed to `/oauth2/revoke` and
 * `/oauth2/introspect`: the same key material as the verifiers.
 */
export interface TokenKeyConfig {
  readonly algorithms: readonly string[];
  /** Exactly one of `secret` (HMAC), `publicKey` (JWK JSON or PEM) and `jwksUri`. */
  readonly secret?: string;
  readonly publicKey?: string;
  readonly jwksUri?: string;
  readonly issuer?: readonly string[];
  readonly audience?: readonly string[];
}

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
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly keyPrefix: string;
  /** Express `trust proxy` (`REVOCAST_TRUST_PROXY`): `true`, a hop count, or addresses such as `loopback`. */
  readonly trustProxy?: boolean | number | string;
  /** Absent: the OAuth endpoints answer 501. */
  readonly tokenKeys?: TokenKeyConfig;
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
export class ConfigError extends ServiceError<'ERR_CONFIG'> {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super('ERR_CONFIG', `${variable} ${problem}`);
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

const RATE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };
const SCOPE_LIST = /^[a-z]+(\+[a-z]+)*$|^\*$/;

/** `60/m`: at most 60 requests a minute, in bursts of up to 60. `unlimited` for none. */
export function parseRateLimit(variable: string, value: string): RateLimit | undefined {
  if (value.trim() === 'unlimited') return undefined;
  const match = /^(\d{1,7})\/([smh])$/.exec(value.trim());
  const requests = Number(match?.[1]);
  if (match === null || requests < 1) {
    throw new ConfigError(variable, `has a rate limit ${JSON.stringify(value)}; use requests per second, minute or hour such as 10/s, 600/m or 5000/h, or "unlimited"`);
  }
  return { requests, perMs: RATE_UNITS[match[2] as string] as number };
}

function parseScopes(where: string, value: string): Scope[] | undefined {
  if (value === '*') return undefined;
  const scopes = value.split('+');
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} has an unknown scope ${JSON.stringify(scope)} (use ${SCOPES.join(', ')}, joined with "+", or "*")`);
    }
  }
  return [...new Set(scopes as Scope[])];
}

function checkedKey(where: string, name: string, secret: string, scopes: Scope[] | undefined, rateLimit: RateLimit | undefined, keys: AdminKey[]): AdminKey {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} has an invalid name (letters, digits, "_", "." and "-", up to 64)`);
  }
  if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
    throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) needs a secret of at least ${MIN_SECRET_LENGTH} characters without spaces; ${MAKE_A_KEY}`);
  }
  const bits = estimateKeyBits(secret);
  if (bits < MIN_KEY_BITS) {
    throw new ConfigError(
      'REVOCAST_ADMIN_KEYS',
      `${where} (${name}) has a guessable secret (about ${Math.floor(bits)} bits estimated, ${MIN_KEY_BITS} needed: repeats and runs such as "aaaa" or "1234" count for nothing); ${MAKE_A_KEY}`,
    );
  }
  if (keys.some((key) => key.name === name)) throw new ConfigError('REVOCAST_ADMIN_KEYS', `names key ${name} twice`);
  if (keys.some((key) => key.secret === secret)) throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) reuses the secret of another key`);
  return { name, secret, ...(scopes === undefined ? {} : { scopes }), ...(rateLimit === undefined ? {} : { rateLimit }) };
}

/** The JSON form: `[{"name":"ops","secret":"…","scopes":["read"],"rateLimit":"60/m"}]`. */
function parseJsonKeys(value: string, defaultLimit: RateLimit | undefined): AdminKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('REVOCAST_ADMIN_KEYS', 'starts with "[" but is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('REVOCAST_ADMIN_KEYS', 'must be a JSON array of keys');
  const keys: AdminKey[] = [];
  for (const [index, item] of parsed.entries()) {
    const where = `entry ${index + 1}`;
    if (typeof item !== 'object' || item === null) throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} must be an object`);
    const { name, secret, scopes, rateLimit, ...rest } = item as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} has an unknown field ${JSON.stringify(unknown)}`);
    if (typeof name !== 'string' || typeof secret !== 'string') throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} needs a string name and secret`);
    if (scopes !== undefined && (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string'))) {
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) scopes must be a non-empty array of strings`);
    }
    if (rateLimit !== undefined && typeof rateLimit !== 'string') throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) rateLimit must be a string such as "60/m"`);
    const parsedScopes = scopes === undefined ? undefined : parseScopes(where, (scopes as string[]).join('+'));
    const limit = rateLimit === undefined ? defaultLimit : parseRateLimit('REVOCAST_ADMIN_KEYS', rateLimit);
    keys.push(checkedKey(where, name, secret, parsedScopes, limit, keys));
  }
  return keys;
}

/**
 * Admin keys, as `name:secret[:scopes[:rate]]` separated by commas, or a JSON
 * array. Scopes are `read`, `revoke` and `reinstate` joined with `+` (`*` or
 * none: all); the rate is `N/s`, `N/m` or `N/h`. Names go into audit logs;
 * secrets must be long enough to resist guessing. Keys without a rate get
 * `defaultLimit` (none: unlimited).
 */
export function parseAdminKeys(value: string | undefined, defaultLimit?: RateLimit): AdminKey[] {
  if (value === undefined || value.trim() === '') return [];
  if (value.trim().startsWith('[')) return parseJsonKeys(value, defaultLimit);
  const keys: AdminKey[] = [];
  for (const [index, pair] of value.split(',').entries()) {
    const where = `entry ${index + 1}`;
    const colon = pair.indexOf(':');
    if (colon < 0) throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} must be name:secret`);
    const name = pair.slice(0, colon).trim();
    const parts = pair.slice(colon + 1).trim().split(':');
    // Read from the right: a trailing rate, then scopes; what is left is the secret (which may hold colons).
    let rateLimit = defaultLimit;
    let scopes: Scope[] | undefined;
    if (parts.length >= 3 && /^\d+\/[a-z]+$/.test(parts.at(-1) as string) && SCOPE_LIST.test(parts.at(-2) as string)) {
      rateLimit = parseRateLimit('REVOCAST_ADMIN_KEYS', parts.pop() as string);
    }
    if (parts.length >= 2 && SCOPE_LIST.test(parts.at(-1) as string)) scopes = parseScopes(`${where} (${name})`, parts.pop() as string);
    keys.push(checkedKey(where, name, parts.join(':'), scopes, rateLimit, keys));
  }
  return keys;
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items === undefined || items.length === 0 ? undefined : items;
}

/** `REVOCAST_JWT_*`: the key material the OAuth endpoints verify tokens with. */
export function parseTokenKeys(env: NodeJS.ProcessEnv): TokenKeyConfig | undefined {
  const sources = (['REVOCAST_JWT_SECRET', 'REVOCAST_JWT_PUBLIC_KEY', 'REVOCAST_JWKS_URI'] as const).filter((name) => (env[name] ?? '') !== '');
  const algorithms = list(env.REVOCAST_JWT_ALGORITHMS);
  if (sources.length === 0) {
    if (algorithms !== undefined) throw new ConfigError('REVOCAST_JWT_ALGORITHMS', 'is set but no key is: set REVOCAST_JWT_SECRET, REVOCAST_JWT_PUBLIC_KEY or REVOCAST_JWKS_URI');
    return undefined;
  }
  if (sources.length > 1) throw new ConfigError(sources[1] as string, `cannot be combined with ${sources[0]}: set exactly one key source`);
  if (algorithms === undefined) throw new ConfigError('REVOCAST_JWT_ALGORITHMS', 'is required with a key, for example RS256 or HS256');
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigError('REVOCAST_JWT_ALGORITHMS', `has ${JSON.stringify(alg)}; use some of ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
  }
  const hmac = algorithms.filter((alg) => alg.startsWith('HS')).length;
  const source = sources[0] as string;
  // The same rule as the verifiers: a secret only with HS*, a public key never with HS* (no algorithm confusion).
  if (source === 'REVOCAST_JWT_SECRET' ? hmac !== algorithms.length : hmac > 0) {
    throw new ConfigError('REVOCAST_JWT_ALGORITHMS', source === 'REVOCAST_JWT_SECRET' ? 'must be HS256, HS384 or HS512 with REVOCAST_JWT_SECRET' : `cannot include HS* with ${source}`);
  }
  if (source === 'REVOCAST_JWT_SECRET' && new TextEncoder().encode(env.REVOCAST_JWT_SECRET).byteLength < 32) {
    throw new ConfigError('REVOCAST_JWT_SECRET', 'must be at least 32 bytes');
  }
  if (source === 'REVOCAST_JWKS_URI' && !/^https?:\/\//.test(env.REVOCAST_JWKS_URI as string)) throw new ConfigError('REVOCAST_JWKS_URI', 'must be an http(s) URL');
  const issuer = list(env.REVOCAST_JWT_ISSUER);
  const audience = list(env.REVOCAST_JWT_AUDIENCE);
  return {
    algorithms,
    ...(source === 'REVOCAST_JWT_SECRET' ? { secret: env.REVOCAST_JWT_SECRET as string } : {}),
    ...(source === 'REVOCAST_JWT_PUBLIC_KEY' ? { publicKey: env.REVOCAST_JWT_PUBLIC_KEY as string } : {}),
    ...(source === 'REVOCAST_JWKS_URI' ? { jwksUri: env.REVOCAST_JWKS_URI as string } : {}),
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
  };
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
    adminKeys: parseAdminKeys(env.REVOCAST_ADMIN_KEYS, parseRateLimit('REVOCAST_ADMIN_RATE_LIMIT', env.REVOCAST_ADMIN_RATE_LIMIT || 'unlimited')),
    authFailureLimit: parseRateLimit('REVOCAST_AUTH_FAILURE_LIMIT', env.REVOCAST_AUTH_FAILURE_LIMIT || '10/m') ?? null,
    maxTokenTtl: parseDuration('REVOCAST_MAX_TOKEN_TTL', env.REVOCAST_MAX_TOKEN_TTL ?? '1d'),
    retentionGrace: parseDuration('REVOCAST_RETENTION_GRACE', env.REVOCAST_RETENTION_GRACE ?? '5m'),
    logLevel,
    keyPrefix,
    ...optional('tokenKeys', parseTokenKeys(env)),
    ...optional('trustProxy', parseTrustProxy(env.REVOCAST_TRUST_PROXY)),
    ...optional('database', parseDatabase(env)),
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d{1,2}$/.test(value) ? Number(value) : value;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
