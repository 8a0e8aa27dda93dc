import { RevocastError, invalidOptions } from '../errors.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';
import { toAuthError } from './auth-error.js';
import { bearerChallenge } from './bearer-challenge.js';
import { extractToken, type TokenHeaders } from './extract-token.js';

/** Options every framework integration takes. */
export interface AuthOptions {
  /** Read the token from this cookie when there is no `Authorization: Bearer` header. */
  readonly cookie?: string;
  /** Realm in the `WWW-Authenticate` challenge. Default `"api"`. */
  readonly realm?: string;
  /** When false, a request without a token passes, without claims. Default true. */
  readonly credentialsRequired?: boolean;
}

/**
 * Authenticates one request from its headers: resolves to the token's
 * claims (or `undefined` for a request without a token when credentials are
 * optional) and otherwise rejects with an {@link AuthError} carrying
 * `code`, `status` and `headers`.
 */
export type Authenticator = (headers: TokenHeaders) => Promise<VerifiedClaims | undefined>;

/** RFC 6265 cookie-name characters (an RFC 7230 token). */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The one implementation behind every framework integration: token
 * extraction, `verifier.verify`, and the refusal with its status and
 * challenge. Options are checked here, once, and throw
 * `ERR_INVALID_OPTIONS`. Use it to support a framework Revocast has no
 * integration for.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator(verifier, { cookie: 'access_token' });
 * try {
 *   request.auth = await authenticate(request.headers);
 * } catch (err) {
 *   const refusal = err as AuthError;
 *   reply.status(refusal.status).headers(refusal.headers).send(authErrorBody(refusal));
 * }
 * ```
 */
export function createAuthenticator(verifier: Verifier, options: AuthOptions = {}): Authenticator {
  if (typeof verifier?.verify !== 'function') throw invalidOptions('verifier: expected a verifier from createVerifier()');
  const { cookie, credentialsRequired = true } = options;
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) {
    throw invalidOptions("cookie: expected a cookie name (letters, digits and !#$%&'*+.^_`|~-)");
  }
  if (typeof credentialsRequired !== 'boolean') throw invalidOptions('credentialsRequired: expected true or false');
  const challenge = bearerChallenge(options.realm);

  const missing = () => toAuthError(new RevocastError('ERR_TOKEN_MISSING', 401, 'no bearer token in the request'), challenge);
  const refuse = (err: unknown): never => {
    throw toAuthError(err, challenge);
  };

  // Not an async function: the verifier's promise is returned as it is, without another await per request.
  return function authenticate(headers) {
    const token = extractToken(headers, cookie);
    if (token === undefined) return credentialsRequired ? Promise.reject(missing()) : Promise.resolve(undefined);
    let verified: Promise<VerifiedClaims>;
    try {
      verified = verifier.verify(token);
    } catch (err) {
      return Promise.reject(toAuthError(err, challenge));
    }
    return verified.then(undefined, refuse);
  };
}
