import type { IncomingMessage, ServerResponse } from 'node:http';
import { RevocastError, invalidOptions, type ErrorCode } from '../errors.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';
import { bearerToken, cookieValue } from './extract-token.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Claims of the verified token, set by `requireAuth`. */
      auth?: VerifiedClaims;
    }
  }
}

export interface RequireAuthOptions {
  /** Read the token from this cookie when there is no `Authorization: Bearer` header. */
  readonly cookie?: string;
  /** Realm in the `WWW-Authenticate` challenge. Default `"api"`. */
  readonly realm?: string;
  /** When false, a request without a token passes through without `req.auth`. Default true. */
  readonly credentialsRequired?: boolean;
}

/** A request as the middleware sees it: any Node request, Express's included. */
export type AuthRequest = IncomingMessage & { auth?: VerifiedClaims };

/** An error on its way to the error handler, carrying its response headers (as http-errors does). */
export type AuthError = RevocastError & { headers?: Record<string, string> };

/** Printable ASCII without `"` and `\\`: safe inside a quoted header parameter. */
const QUOTABLE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The `error_description` of each refusal: fixed text only. An error's
 * message may quote the token (jose names a `crit` header as written), and
 * attacker text in a header either breaks it or makes `setHeader` throw.
 */
const DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  ERR_TOKEN_EXPIRED: 'the token has expired',
  ERR_TOKEN_REVOKED: 'the token has been revoked',
};
const INVALID_DESCRIPTION = 'the token is invalid';

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
  const { cookie, credentialsRequired = true } = options;
  const realmName = options.realm ?? 'api';
  if (typeof realmName !== 'string' || !QUOTABLE.test(realmName)) {
    throw invalidOptions('realm: use printable ASCII without quotes or backslashes');
  }
  const realm = `Bearer realm="${realmName}"`;

  function fail(next: (err?: unknown) => void, error: AuthError): void {
    if (error.status === 401) {
      error.headers = {
        'WWW-Authenticate':
          error.code === 'ERR_TOKEN_MISSING'
            ? realm
            : `${realm}, error="invalid_token", error_description="${DESCRIPTIONS[error.code] ?? INVALID_DESCRIPTION}"`,
      };
    } else if (error.status === 503) {
      error.headers = { 'Retry-After': '1' };
    }
    next(error);
  }

  return function revocastAuth(req, _res, next) {
    const token = bearerToken(req.headers) ?? (cookie === undefined ? undefined : cookieValue(req.headers, cookie));
    if (token === undefined) {
      if (!credentialsRequired) return next();
      return fail(next, new RevocastError('ERR_TOKEN_MISSING', 401, 'no bearer token in the request'));
    }
    verifier.verify(token).then(
      (claims) => {
        req.auth = claims;
        next();
      },
      (err: unknown) => fail(next, err instanceof RevocastError ? err : new RevocastError('ERR_TOKEN_INVALID', 401, 'token is invalid', { cause: err })),
    );
  };
}
