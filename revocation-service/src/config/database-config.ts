import { ConfigError } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { parseInterval } from './duration-variables.js';

/** The durable record's settings. Intervals are in milliseconds. */
export interface DatabaseConfig {
  readonly url: string;
  readonly schema: string;
  readonly outboxIntervalMs: number;
  readonly reconcileIntervalMs: number;
}

/** `DATABASE_URL` and the record's other variables; `undefined` without a database (Redis is then the record). */
export function parseDatabase(env: NodeJS.ProcessEnv): DatabaseConfig | undefined {
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
  const schema = env.REVOCAST_DATABASE_SCHEMA ?? DEFAULTS.databaseSchema;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('REVOCAST_DATABASE_SCHEMA', 'must be 1 to 63 lowercase letters, digits or "_", not starting with a digit');
  }
  const interval = (variable: string, fallback: number) => {
    const value = env[variable];
    return value === undefined ? fallback : parseInterval(variable, value);
  };
  return {
    url,
    schema,
    outboxIntervalMs: interval('REVOCAST_OUTBOX_INTERVAL', DEFAULTS.outboxIntervalMs),
    reconcileIntervalMs: interval('REVOCAST_RECONCILE_INTERVAL', DEFAULTS.reconcileIntervalMs),
  };
}
