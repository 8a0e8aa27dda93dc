import { readDuration } from '../config/duration.js';
import { CliError } from './admin-client.js';
import { EXIT } from './exit-codes.js';

/** Epoch seconds from `1767225600`, an ISO 8601 date, or `+` and a duration from now (`+15m`, `+2h`, `+7d`). */
export function parseTime(value: string, name: string, now: () => number = Date.now): number {
  const relative = value.startsWith('+') ? readDuration(value.slice(1)) : undefined;
  if (relative?.ok === true) return Math.floor(now() / 1000) + relative.ms / 1000;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new CliError(`${name}: give epoch seconds, an ISO 8601 date or +15m/+2h/+7d (got ${JSON.stringify(value)})`, EXIT.usage);
  return parsed / 1000;
}
