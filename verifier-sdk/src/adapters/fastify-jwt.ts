import type { RevocationClaims } from '../list/revocation-list.js';
import type { Verifier } from '../verify/create-verifier.js';

/**
 * A `trusted` callback for @fastify/jwt: resolves false for a revoked token
 * (answered 401 by the plugin) and rejects with `ERR_LIST_STALE` (503) while
 * the list is stale and the verifier fails closed.
 *
 * @example
 * ```ts
 * fastify.register(fastifyJwt, { secret, trusted: fastifyJwtTrusted(verifier) });
 * ```
 */
export function fastifyJwtTrusted(verifier: Verifier): (request: unknown, decoded: unknown) => Promise<boolean> {
  return async (_request, decoded) => {
    if (typeof decoded !== 'object' || decoded === null) return false;
    // With `complete: true` the plugin hands over { header, payload, signature }.
    const complete = decoded as { header?: unknown; payload?: unknown };
    const claims = typeof complete.header === 'object' && typeof complete.payload === 'object' ? complete.payload : decoded;
    return !verifier.isRevoked(claims as RevocationClaims);
  };
}
