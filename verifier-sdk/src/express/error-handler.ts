import type { IncomingMessage, ServerResponse } from 'node:http';
import { RevocastError } from '../errors.js';
import type { AuthError } from './require-auth.js';

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
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.statusCode = err.status;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(JSON.stringify({ error: err.code, message: err.message }));
  };
}
