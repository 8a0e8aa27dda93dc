import type { Verifier } from '../verify/create-verifier.js';

/**
 * An `isRevoked` callback for express-jwt: keep express-jwt for signature
 * checks and let Revocast judge the claims by the same rules as
 * `verifier.verify` (required claims, `exp`/`nbf`/`iat` with the verifier's
 * `clockTolerance`, `iss`/`aud`, ids) and the revocation list.
 *
 * - Revoked: rejects with a `TokenRevokedError` (`ERR_TOKEN_REVOKED`,
 *   status 401, `reason` saying which revocation matched: `jti`,
 *   `subject` or `session`). Resolving `true` would only give express-jwt's
 *   generic `revoked_token`, which says nothing of why.
 * - Claims that break a rule: rejects with a `RevocastError`
 *   (`ERR_TOKEN_INVALID` or `ERR_TOKEN_EXPIRED`, status 401).
 * - List stale (and the verifier fails closed): rejects with `ERR_LIST_STALE`, status 503.
 *
 * express-jwt passes a rejection to `next(err)` untouched, `code`, `status`
 * and `reason` included, so `authErrorHandler` answers it as it answers
 * `requireAuth`'s refusals.
 *
 * @example
 * ```ts
 * app.use(expressjwt({ secret, algorithms: ['HS256'], isRevoked: expressJwtIsRevoked(verifier) }));
 * ```
 */
export function expressJwtIsRevoked(verifier: Verifier): (req: unknown, token: { payload: unknown } | undefined) => Promise<boolean> {
  return async (_req, token) => {
    verifier.verifyClaims(token?.payload);
    return false;
  };
}
