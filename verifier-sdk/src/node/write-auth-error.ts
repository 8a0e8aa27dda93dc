import type { ServerResponse } from 'node:http';
import type { RevocastError } from '../errors.js';
import { authErrorBody, type AuthError } from '../http/auth-error.js';

/** What Node's `setHeader` accepts: an RFC 7230 token name and a value of visible ASCII, space and tab. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Answers a refusal on a Node response: the error's `status`, its
 * `headers` and the JSON body of {@link authErrorBody}.
 *
 * @example
 * ```ts
 * writeAuthError(res, refusal);
 * ```
 */
export function writeAuthError(res: ServerResponse, error: RevocastError): void {
  const headers = (error as AuthError).headers ?? {};
  for (const [name, value] of Object.entries(headers)) {
    // Answering must never throw: a header Node refuses is left out, not turned into a 500.
    if (typeof value === 'string' && HEADER_NAME.test(name) && HEADER_VALUE.test(value)) res.setHeader(name, value);
  }
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(authErrorBody(error)));
}
