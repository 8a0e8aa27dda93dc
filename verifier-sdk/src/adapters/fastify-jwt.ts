import { invalidOptions } from '../errors.js';
import type { Verifier } from '../verify/create-verifier.js';

export interface FastifyJwtTrustedOptions {
  /**
   * Set it when the plugin is registered with `decode: { complete: true }`:
   * the callback then gets `{ header, payload, signature }` and judges
   * `payload`. It is never guessed from the shape, since a claims set can
   * carry `header` and `payload` claims of its own. Default false.
   */
  readonly complete?: boolean;
}

/**
 * A `trusted` callback for @fastify/jwt: judges the claims by the same rules
 * as `verifier.verify` (required claims, `exp`/`nbf`/`iat` with the
 * verifier's `clockTolerance`, `iss`/`aud`, ids) and the revocation list.
 *
 * It resolves `true` for a token it accepts and otherwise rejects with the
 * `RevocastError` that says why: `ERR_TOKEN_REVOKED`, `ERR_TOKEN_INVALID`
 * or `ERR_TOKEN_EXPIRED` (status 401), or `ERR_LIST_STALE` (503) while the
 * list is stale and the verifier fails closed. @fastify/jwt hands a
 * rejection of `trusted` to `request.jwtVerify()` as it is, so Fastify
 * answers with that `status` and `code` (resolving `false` would only
 * give the generic `FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED`).
 *
 * @example
 * ```ts
 * fastify.register(fastifyJwt, { secret, trusted: fastifyJwtTrusted(verifier) });
 * ```
 */
export function fastifyJwtTrusted(
  verifier: Verifier,
  options: FastifyJwtTrustedOptions = {},
): (request: unknown, decoded: unknown) => Promise<boolean> {
  const complete = options.complete ?? false;
  if (typeof complete !== 'boolean') throw invalidOptions('complete: expected true or false');
  return async (_request, decoded) => {
    verifier.verifyClaims(complete ? (decoded as { payload?: unknown } | null)?.payload : decoded);
    return true;
  };
}
