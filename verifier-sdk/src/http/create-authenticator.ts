import { RevocastError, invalidOptions } from '../errors.js';
import { immediateVerify, type VerifiedClaims, type Verifier } from '../verify/create-verifier.js';
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
 * What every framework integration does: token extraction,
 * `verifier.verify`, and the refusal with its status and challenge. Options are checked here, once, and throw
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
  const authenticate = createImmediateAuthenticator(verifier, options);
  return function authenticateAsync(headers) {
    try {
      return Promise.resolve(authenticate(headers));
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

/**
 * {@link Authenticator} without the promise when the answer needs no wait:
 * the claims (or `undefined`) themselves, a thrown {@link AuthError}, or a
 * promise when the verifier had to wait (a key set, the thread pool). For
 * the integrations that can go on in the same tick (Express's `next`).
 */
export type ImmediateAuthenticator = (headers: TokenHeaders) => VerifiedClaims | undefined | Promise<VerifiedClaims | undefined>;

/** The one implementation behind {@link createAuthenticator}, in its {@link ImmediateAuthenticator} form. */
export function createImmediateAuthenticator(verifier: Verifier, options: AuthOptions = {}): ImmediateAuthenticator {
  if (typeof verifier?.verify !== 'function') throw invalidOptions('verifier: expected a verifier from createVerifier()');
  const { cookie, credentialsRequired = true } = options;
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) {
    throw invalidOptions("cookie: expected a cookie name (letters, digits and !#$%&'*+.^_`|~-)");
  }
  if (typeof credentialsRequired !== 'boolean') throw invalidOptions('credentialsRequired: expected true or false');
  const challenge = bearerChallenge(options.realm);
  const verify = immediateVerify(verifier);

  const refuse = (err: unknown): never => {
    throw toAuthError(err, challenge);
  };

  return function authenticate(headers) {
    const token = extractToken(headers, cookie);
    if (token === undefined) {
      if (!credentialsRequired) return undefined;
      throw toAuthError(new RevocastError('ERR_TOKEN_MISSING', 401, 'no bearer token in the request'), challenge);
    }
    let verified: VerifiedClaims | Promise<VerifiedClaims>;
    try {
      verified = verify(token);
    } catch (err) {
      return refuse(err);
    }
    return verified instanceof Promise ? verified.then(undefined, refuse) : verified;
  };
}
