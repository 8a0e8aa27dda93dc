import type { IncomingMessage, ServerResponse } from 'node:http';
import { RevocastError } from '../errors.js';
import { writeAuthError } from '../node/write-auth-error.js';

/**
 * Express error handler for errors from `requireAuth`: answers with the
 * error's status and headers and a JSON body `{ error, message }` (plus
 * `reason` for a revoked token). Any other error is passed on untouched.
 *
 * @example
 * ```ts
 * app.use(authErrorHandler());
 * ```
 */
export function authErrorHandler(): (err: unknown, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  return function revocastAuthErrors(err, _req, res, next) {
    if (!(err instanceof RevocastError) || res.headersSent) return next(err);
    writeAuthError(res, err);
  };
}
