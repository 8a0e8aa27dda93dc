import type { WaitRequest } from '../actions/revocation-actions.js';
import type { FieldError } from './fields.js';

/** Longest `timeout` accepted with `wait=all`. */
export const MAX_WAIT_MS = 30_000;
export const DEFAULT_WAIT_MS = 2_000;
/** `timeout`: `500ms`, `2s`, or a bare number of seconds. */
export const TIMEOUT_PATTERN = /^(\d{1,6})(ms|s)?$/;

/**
 * Reads `wait=all` and `timeout` (`2s`, `500ms`, a bare number is seconds)
 * from a query; `undefined` when the caller does not wait.
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
  if (timeout === undefined) return { timeoutMs: DEFAULT_WAIT_MS };
  const match = typeof timeout === 'string' ? TIMEOUT_PATTERN.exec(timeout) : null;
  const timeoutMs = match === null ? Number.NaN : Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  if (!(timeoutMs >= 1 && timeoutMs <= MAX_WAIT_MS)) {
    errors.push({ field: 'timeout', message: `must be a duration from 1ms to ${MAX_WAIT_MS / 1000}s, such as 2s or 500ms` });
    return undefined;
  }
  return { timeoutMs };
}
