import type { IncomingMessage, ServerResponse } from 'node:http';
import { createImmediateAuthenticator, type AuthOptions } from '../http/create-authenticator.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';

declare global {
  namespace Express {
    interface Request {
      /** Claims of the verified token, set by `requireAuth`. */
      auth?: VerifiedClaims;
    }
  }
}

/** Options of {@link requireAuth}: those of every integration. */
export type RequireAuthOptions = AuthOptions;

/** A request as the middleware sees it: any Node request, Express's included. */
export type AuthRequest = IncomingMessage & { auth?: VerifiedClaims };

/**
 * Express middleware: verifies the bearer token (or the named cookie) and
 * sets `req.auth` to its claims. It never writes a response: failures go to
 * `next(err)` with `code`, `status` (401, or 503 while the list is stale) and
 * an RFC 6750 `WWW-Authenticate` header in `err.headers`. Mount
 * {@link authErrorHandler} to answer them as JSON.
 *
 * @example
 * ```ts
 * app.get('/me', requireAuth(verifier, { cookie: 'access_token' }), (req, res) => res.json(req.auth));
 * app.use(authErrorHandler());
 * ```
 */
export function requireAuth(
  verifier: Verifier,
  options: RequireAuthOptions = {},
): (req: AuthRequest, res: ServerResponse, next: (err?: unknown) => void) => void {
  const authenticate = createImmediateAuthenticator(verifier, options);
  // A token verified without a wait (a cache hit, a fixed key's HMAC or RSA check) goes on in the same
  // tick, without a promise per request; `next` is called outside the try, so a later handler's throw
  // is Express's to catch, not taken for a refusal.
  return function revocastAuth(req, _res, next) {
    let claims: ReturnType<typeof authenticate>;
    try {
      claims = authenticate(req.headers);
    } catch (err) {
      next(err);
      return;
    }
    if (claims instanceof Promise) {
      claims.then((resolved) => {
        if (resolved !== undefined) req.auth = resolved;
        next();
      }, next);
      return;
    }
    if (claims !== undefined) req.auth = claims;
    next();
  };
}
