import type { RevocationClaims } from '../list/revocation-list.js';
import type { Verifier } from '../verify/create-verifier.js';

/**
 * An `isRevoked` callback for express-jwt: keep express-jwt for signature
 * checks and let Revocast answer whether the token was revoked. While the
 * list is stale (and the verifier fails closed) it rejects with
 * `ERR_LIST_STALE`, status 503, which express-jwt passes to `next(err)`.
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
    const payload = token?.payload;
    // A string payload has no claims to check; it cannot be a Revocast-managed token.
    if (typeof payload !== 'object' || payload === null) return true;
    return verifier.isRevoked(payload as RevocationClaims);
  };
}
