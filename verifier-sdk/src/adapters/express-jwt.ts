import { TokenRevokedError } from '../errors.js';
import type { Verifier } from '../verify/create-verifier.js';

/**
 * An `isRevoked` callback for express-jwt: keep express-jwt for signature
 * checks and let Revocast judge the claims by the same rules as
 * `verifier.verify` (required claims, `exp`/`nbf`/`iat` with the verifier's
 * `clockTolerance`, `iss`/`aud`, ids) and the revocation list.
 *
 * - Revoked: resolves `true`, which express-jwt answers as 401 `revoked_token`.
 * - Claims that break a rule: rejects with a `RevocastError`
 *   (`ERR_TOKEN_INVALID` or `ERR_TOKEN_EXPIRED`, status 401).
 * - List stale (and the verifier fails closed): rejects with `ERR_LIST_STALE`, status 503.
 *
 * express-jwt passes a rejection to `next(err)` untouched, `code` and `status` included.
 *
 * @example
 * ```ts
 * app.use(expressjwt({ secret, algorithms: ['HS256'], isRevoked: expressJwtIsRevoked(verifier) }));
 * ```
 */
export function expressJwtIsRevoked(
  verifier: Verifier,
): (req: unknown, token: { payload: unknown } | undefined) => Promise<boolean> {
  return async (_req, token) => {
    try {
      verifier.verifyClaims(token?.payload);
      return false;
    } catch (err) {
      if (err instanceof TokenRevokedError) return true;
      throw err;
    }
  };
}
