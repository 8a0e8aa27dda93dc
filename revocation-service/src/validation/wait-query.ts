import type { WaitRequest } from '../actions/revocation-actions.js';
import { DEFAULTS } from '../config/defaults.js';
import { readDuration } from '../config/duration.js';
import type { FieldError } from './fields.js';

/** Longest `timeout` accepted with `wait=all`. */
export const MAX_WAIT_MS = 30_000;

/**
 * Reads `wait=all` and `timeout` (a duration: `2s`, `500ms`, a bare number
 * is seconds) from a query; `undefined` when the caller does not wait.
 */
export function parseWaitQuery(wait: unknown, timeout: unknown, errors: FieldError[]): WaitRequest | undefined {
  if (wait === undefined) {
    if (timeout !== undefined) errors.push({ field: 'timeout', message: 'is only accepted with wait=all' });
    return undefined;
  }
  if (wait !== 'all') {
    errors.push({ field: 'wait', message: 'must be "all"' });
    return undefined;
  }
  if (timeout === undefined) return { timeoutMs: DEFAULTS.waitTimeoutMs };
  const reading = typeof timeout === 'string' ? readDuration(timeout) : undefined;
  const timeoutMs = reading?.ok === true ? reading.ms : Number.NaN;
  if (!(timeoutMs >= 1 && timeoutMs <= MAX_WAIT_MS)) {
    errors.push({ field: 'timeout', message: `must be a duration from 1ms to ${MAX_WAIT_MS / 1000}s, such as 2s or 500ms` });
    return undefined;
  }
  return { timeoutMs };
}
