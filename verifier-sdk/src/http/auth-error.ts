import { RevocastError, TokenRevokedError, type ErrorCode, type RevocationReason } from '../errors.js';
import type { BearerChallenge } from './bearer-challenge.js';

/**
 * A refusal on its way to an answer: a `RevocastError` whose `status` is the
 * HTTP status to answer with and whose `headers` are the response headers
 * (as http-errors does, which Express, Fastify and Koa read).
 */
export type AuthError = RevocastError & { headers?: Record<string, string> };

/** How long a client should wait before retrying while the list is stale or the keys cannot be fetched. */
const RETRY_AFTER_SECONDS = '1';

/**
 * The error-to-response map: turns whatever authentication rejected with
 * into a `RevocastError` with its `status` (401 for a missing, invalid,
 * expired or revoked token; 503 while the list is stale or the keys cannot
 * be fetched) and its `headers`: a `WWW-Authenticate` challenge on every
 * refusal, and `Retry-After` on a 503. A value that is not a
 * `RevocastError` becomes `ERR_TOKEN_INVALID` (401) with it as `cause`:
 * a token never earns a 500.
 *
 * @example
 * ```ts
 * const challenge = bearerChallenge('api');
 * verifier.verify(token).catch((err) => {
 *   const refusal = toAuthError(err, challenge);
 *   res.writeHead(refusal.status, refusal.headers).end(JSON.stringify(authErrorBody(refusal)));
 * });
 * ```
 */
export function toAuthError(err: unknown, challenge: BearerChallenge): AuthError & { headers: Record<string, string> } {
  const error: AuthError =
    err instanceof RevocastError ? err : new RevocastError('ERR_TOKEN_INVALID', 401, 'token is invalid', { cause: err });
  const headers: Record<string, string> = { 'WWW-Authenticate': challenge(error) };
  if (error.status === 503) headers['Retry-After'] = RETRY_AFTER_SECONDS;
  error.headers = headers;
  return error as AuthError & { headers: Record<string, string> };
}

/** The JSON body of a refusal. */
export interface AuthErrorBody {
  /** The stable error code, e.g. `ERR_TOKEN_REVOKED`. */
  readonly error: ErrorCode;
  readonly message: string;
  /** For `ERR_TOKEN_REVOKED`: which revocation matched. */
  readonly reason?: RevocationReason;
}

/**
 * The JSON body every integration that writes its own answer sends:
 * `{ error, message }`, plus `reason` for a revoked token.
 *
 * @example
 * ```ts
 * ctx.body = authErrorBody(err); // { error: 'ERR_TOKEN_REVOKED', message: '…', reason: 'session' }
 * ```
 */
export function authErrorBody(error: RevocastError): AuthErrorBody {
  return error instanceof TokenRevokedError
    ? { error: error.code, message: error.message, reason: error.reason }
    : { error: error.code, message: error.message };
}
