import type { RateLimit } from '../http/rate-limiter.js';
import { ConfigError } from './config-error.js';

const RATE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `60/m`: at most 60 requests a minute, in bursts of up to 60. `unlimited` for none. */
export function parseRateLimit(variable: string, value: string): RateLimit | undefined {
  if (value.trim() === 'unlimited') return undefined;
  const match = /^(\d{1,7})\/([smh])$/.exec(value.trim());
  const requests = Number(match?.[1]);
  if (match === null || requests < 1) {
    throw new ConfigError(
      variable,
      `has a rate limit ${JSON.stringify(value)}; use requests per second, minute or hour such as 10/s, 600/m or 5000/h, or "unlimited"`,
    );
  }
  return { requests, perMs: RATE_UNITS[match[2] as string] as number };
}
