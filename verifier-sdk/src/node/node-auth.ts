import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RevocastError } from '../errors.js';
import { createAuthenticator, type AuthOptions } from '../http/create-authenticator.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';
import { writeAuthError } from './write-auth-error.js';

/** Options of {@link nodeAuth}: those of every integration except `credentialsRequired`. */
export type NodeAuthOptions = Omit<AuthOptions, 'credentialsRequired'>;

/**
 * Authentication for a plain `node:http` server. The returned function
 * resolves to the token's claims, or, when the request is refused, answers
 * it (401 or 503 with the `WWW-Authenticate` challenge and a JSON body
 * `{ error, message }`) and resolves to `undefined`: the handler then
 * returns without writing.
 *
 * @example
 * ```ts
 * const authenticate = nodeAuth(verifier, { cookie: 'access_token' });
 * createServer(async (req, res) => {
 *   const auth = await authenticate(req, res);
 *   if (auth === undefined) return; // refused, and answered
 *   res.end(JSON.stringify({ sub: auth.sub }));
 * });
 * ```
 */
export function nodeAuth(
  verifier: Verifier,
  options: NodeAuthOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<VerifiedClaims | undefined> {
  const authenticate = createAuthenticator(verifier, { ...options, credentialsRequired: true });
  return async (req, res) => {
    try {
      return await authenticate(req.headers);
    } catch (err) {
      writeAuthError(res, err as RevocastError);
      return undefined;
    }
  };
}
