import { ConfigError } from './config-error.js';
import { DEFAULTS } from './defaults.js';

/** `PORT`: 0 to 65535 (0: any free port). */
export function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULTS.port;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535)
    throw new ConfigError('PORT', `must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`);
  return port;
}

/** `HOST`: the interface to listen on. */
export function parseHost(value: string | undefined): string {
  return value ?? DEFAULTS.host;
}

/** `REVOCAST_TRUST_PROXY`: Express `trust proxy`, as `true`/`false`, a hop count, or addresses such as `loopback`. */
export function parseTrustProxy(value: string | undefined): boolean | number | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d{1,2}$/.test(value) ? Number(value) : value;
}
