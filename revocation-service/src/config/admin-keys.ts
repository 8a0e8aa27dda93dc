import { SCOPES, type AdminKey, type RateLimit, type Scope } from '../http/admin-auth.js';
import { MAKE_A_KEY, MIN_KEY_BITS, estimateKeyBits } from '../http/key-strength.js';
import { ConfigError } from './config-error.js';
import { parseRateLimit } from './rate-limit.js';

const MIN_SECRET_LENGTH = 16;
const SCOPE_LIST = /^[a-z]+(\+[a-z]+)*$|^\*$/;

function parseScopes(where: string, value: string): Scope[] | undefined {
  if (value === '*') return undefined;
  const scopes = value.split('+');
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new ConfigError(
        'REVOCAST_ADMIN_KEYS',
        `${where} has an unknown scope ${JSON.stringify(scope)} (use ${SCOPES.join(', ')}, joined with "+", or "*")`,
      );
    }
  }
  return [...new Set(scopes as Scope[])];
}

function checkedKey(
  where: string,
  name: string,
  secret: string,
  scopes: Scope[] | undefined,
  rateLimit: RateLimit | undefined,
  keys: AdminKey[],
): AdminKey {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} has an invalid name (letters, digits, "_", "." and "-", up to 64)`);
  }
  if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
    throw new ConfigError(
      'REVOCAST_ADMIN_KEYS',
      `${where} (${name}) needs a secret of at least ${MIN_SECRET_LENGTH} characters without spaces; ${MAKE_A_KEY}`,
    );
  }
  const bits = estimateKeyBits(secret);
  if (bits < MIN_KEY_BITS) {
    throw new ConfigError(
      'REVOCAST_ADMIN_KEYS',
      `${where} (${name}) has a guessable secret (about ${Math.floor(bits)} bits estimated, ${MIN_KEY_BITS} needed: repeats and runs such as "aaaa" or "1234" count for nothing); ${MAKE_A_KEY}`,
    );
  }
  if (keys.some((key) => key.name === name)) throw new ConfigError('REVOCAST_ADMIN_KEYS', `names key ${name} twice`);
  if (keys.some((key) => key.secret === secret))
    throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) reuses the secret of another key`);
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
    if (typeof name !== 'string' || typeof secret !== 'string')
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} needs a string name and secret`);
    if (scopes !== undefined && (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string'))) {
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) scopes must be a non-empty array of strings`);
    }
    if (rateLimit !== undefined && typeof rateLimit !== 'string')
      throw new ConfigError('REVOCAST_ADMIN_KEYS', `${where} (${name}) rateLimit must be a string such as "60/m"`);
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
    const parts = pair
      .slice(colon + 1)
      .trim()
      .split(':');
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
