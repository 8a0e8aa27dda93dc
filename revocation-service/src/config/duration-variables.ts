import { ConfigError } from './config-error.js';
import { readDuration } from './duration.js';

/** Seconds from `3600`, `90s`, `15m`, `1h` or `7d` (any {@link readDuration} duration of whole seconds). */
export function parseDuration(variable: string, value: string): number {
  const reading = readDuration(value.trim());
  const seconds = reading.ok ? reading.ms / 1000 : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigError(variable, `must be a positive duration such as 3600, 90s, 15m, 1h or 7d (got ${JSON.stringify(value)})`);
  }
  return seconds;
}

/** Milliseconds from `250ms`, `1s`, `5m` or a bare number of seconds (any {@link readDuration} duration of 10 ms or more). */
export function parseInterval(variable: string, value: string): number {
  const reading = readDuration(value.trim());
  if (!reading.ok || reading.ms < 10) {
    throw new ConfigError(variable, `must be an interval of at least 10ms such as 250ms, 1s or 5m (got ${JSON.stringify(value)})`);
  }
  return reading.ms;
}
