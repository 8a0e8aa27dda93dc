/** Every error code the verifier SDK produces. Each is listed in the README. */
export type ErrorCode =
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_LIST_STALE'
  | 'ERR_KEYS_UNAVAILABLE'
  | 'ERR_INVALID_OPTIONS';

/** Which revocation matched a rejected token. */
export type RevocationReason = 'jti' | 'subject' | 'session';

/**
 * Base class of every error the SDK produces. `code` is stable and safe to
 * branch on; `status` is the HTTP status a server should answer with.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token);
 * } catch (err) {
 *   if (err instanceof RevocastError && err.code === 'ERR_TOKEN_REVOKED') ...
 * }
 * ```
 */
export class RevocastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RevocastError';
    this.code = code;
    this.status = status;
  }
}

/** The token was signed correctly but has been revoked. */
export class TokenRevokedError extends RevocastError {
  /** Which revocation matched: the token's `jti`, its subject's cutoff or its session. */
  readonly reason: RevocationReason;

  constructor(reason: RevocationReason) {
    super('ERR_TOKEN_REVOKED', 401, REVOKED_MESSAGES[reason]);
    this.name = 'TokenRevokedError';
    this.reason = reason;
  }
}

const REVOKED_MESSAGES: Record<RevocationReason, string> = {
  jti: 'token has been revoked',
  subject: 'all tokens of this subject issued before the cutoff have been revoked',
  session: 'the session of this token has been revoked',
};

export function tokenInvalid(message: string, cause?: unknown): RevocastError {
  return new RevocastError('ERR_TOKEN_INVALID', 401, message, cause === undefined ? undefined : { cause });
}

export function listStale(message: string): RevocastError {
  return new RevocastError('ERR_LIST_STALE', 503, message);
}

export function invalidOptions(message: string): RevocastError {
  return new RevocastError('ERR_INVALID_OPTIONS', 500, message);
}
