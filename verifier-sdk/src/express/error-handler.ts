import type { IncomingMessage, ServerResponse } from 'node:http';
import { RevocastError } from '../errors.js';
import type { AuthError } from './require-auth.js';

/** What Node's `setHeader` accepts: an RFC 7230 token name and a value of visible ASCII, space and tab. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Express error handler for errors from `requireAuth`: answers with the
 * error's status and headers and a JSON body `{ error, message }`. Any other
 * error is passed on untouched.
 *
 * @example
 * ```ts
 * app.use(authErrorHandler());
 * ```
 */
export function authErrorHandler(): (
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void {
  return function revocastAuthErrors(err, _req, res, next) {
    if (!(err instanceof RevocastError) || res.headersSent) return next(err);
    const headers = (err as AuthError).headers ?? {};
    for (const [name, value] of Object.entries(headers)) {
      // Answering must never throw: a header Node refuses is left out, not turned into a 500.
      if (typeof value === 'string' && HEADER_NAME.test(name) && HEADER_VALUE.test(value)) res.setHeader(name, value);
    }
    res.statusCode = err.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify({ error: err.code, message: err.message }));
  };
}
