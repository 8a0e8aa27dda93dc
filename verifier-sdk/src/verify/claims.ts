import { RevocastError, tokenInvalid } from '../errors.js';
import { idProblem } from '../protocol/id.js';

/**
 * The claims of a token that passed {@link ClaimsValidator}: `jti`, `sub`
 * and `sid`, when present, are valid ids; `exp`, `nbf` and `iat`, when
 * present, are finite numbers. Other claims are as the issuer wrote them.
 */
export interface VerifiedClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  sid?: string;
  exp?: number;
  nbf?: number;
  iat?: number;
  [claim: string]: unknown;
}

/** The rules a claims set is judged by. Durations are in seconds. */
export interface ClaimsRules {
  /** Skew allowed on `exp`, `nbf` and `iat`; a finite number >= 0. */
  readonly clockTolerance: number;
  /** Claims that must be present: own properties whose value is not `undefined` (JSON has no `undefined`). */
  readonly requiredClaims: readonly string[];
  /** Accepted `iss` values; when given, `iss` is required and must be one of them. */
  readonly issuer?: string | readonly string[] | undefined;
  /** Accepted `aud` values; when given, `aud` is required and must name (or, as an array, contain) one of them. */
  readonly audience?: string | readonly string[] | undefined;
  /** Epoch milliseconds now, used when the validator is called without `nowMs`. */
  readonly clock: () => number;
}

/**
 * Judges a parsed claims set, whatever produced it (jose, express-jwt,
 * @fastify/jwt, another signature check): returns it typed, or throws a
 * {@link RevocastError} (`ERR_TOKEN_EXPIRED` for a passed `exp`,
 * `ERR_TOKEN_INVALID` for anything else). It never throws anything else.
 */
export type ClaimsValidator = (payload: unknown, nowMs?: number) => VerifiedClaims;

/** Claims every token must carry unless configured otherwise: without `exp` and `jti` a token cannot be revoked on its own. */
export const DEFAULT_REQUIRED_CLAIMS: readonly string[] = Object.freeze(['exp', 'jti']);

/** Seconds of clock skew allowed on `exp`, `nbf` and `iat` unless configured otherwise. */
export const DEFAULT_CLOCK_TOLERANCE = 5;

/** The claims that name what can be revoked: a present one must be a valid id (see `isValidId`). */
export const ID_CLAIMS = ['jti', 'sub', 'sid'] as const;

/** The claims that hold NumericDates: a present one must be a finite number. */
const DATE_CLAIMS = ['iat', 'nbf', 'exp'] as const;

/**
 * Whether `exp` (seconds) has passed at `nowMs`, with `tolerance` seconds of
 * skew: jose's rule, compared against whole seconds now. The verified-token
 * cache uses it too, so a cached token expires at the same second.
 */
export function hasExpired(exp: number, nowMs: number, tolerance: number): boolean {
  return exp <= Math.floor(nowMs / 1000) - tolerance;
}

function list(value: string | readonly string[] | undefined): readonly string[] | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? [value] : [...value];
}

function expired(): RevocastError {
  return new RevocastError('ERR_TOKEN_EXPIRED', 401, 'token has expired');
}

/**
 * Builds a claims validator from `rules`, once. It applies jose's rules for
 * `exp`, `nbf`, `iss`, `aud` and required claims, and three of its own:
 *
 * - `exp`, `nbf` and `iat`, when present, must be finite numbers (JSON's
 *   `1e400` parses to `Infinity`, which would never expire).
 * - `iat` must not be later than now plus the tolerance: a token "issued" in
 *   the future would outlive every subject cutoff ("sign out everywhere").
 *   Compared with now to the millisecond, since Revocast recommends
 *   fractional `iat`.
 * - `jti`, `sub` and `sid`, when present, must be valid ids (the protocol's
 *   one id rule: a string the admin API can revoke). A number such as
 *   `sub: 42` is refused, never compared as "42".
 *
 * Error messages are fixed text that never quotes the token.
 *
 * @example
 * ```ts
 * const validate = createClaimsValidator({ clockTolerance: 5, requiredClaims: ['exp', 'jti'], clock: Date.now });
 * const claims = validate(JSON.parse(payloadText)); // throws RevocastError
 * ```
 */
export function createClaimsValidator(rules: ClaimsRules): ClaimsValidator {
  const { clockTolerance: tolerance, clock } = rules;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError('clockTolerance must be a finite number >= 0');
  }
  const issuers = list(rules.issuer);
  const audiences = list(rules.audience);
  // jose's presence check: the required claims, then aud and iss when they are expected.
  const present = [
    ...new Set([...rules.requiredClaims, ...(audiences === undefined ? [] : ['aud']), ...(issuers === undefined ? [] : ['iss'])]),
  ];

  function audienceMatches(aud: unknown): boolean {
    const expected = audiences as readonly string[];
    if (typeof aud === 'string') return expected.includes(aud);
    return Array.isArray(aud) && expected.some((value) => aud.includes(value));
  }

  return function validateClaims(payload, nowMs = clock()) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw tokenInvalid('token is invalid: the claims set must be a JSON object');
    }
    const claims = payload as Record<string, unknown>;
    try {
      for (const name of present) {
        // jose asks for an own property; a hand-made object's `undefined` counts as missing too.
        if (!Object.hasOwn(claims, name) || claims[name] === undefined)
          throw tokenInvalid(`token is invalid: missing required "${name}" claim`);
      }
      if (issuers !== undefined && !issuers.includes(claims.iss as string))
        throw tokenInvalid('token is invalid: unexpected "iss" claim value');
      if (audiences !== undefined && !audienceMatches(claims.aud)) throw tokenInvalid('token is invalid: unexpected "aud" claim value');
      for (const name of DATE_CLAIMS) {
        const value = claims[name];
        if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
          throw tokenInvalid(`token is invalid: "${name}" claim must be a finite number`);
        }
      }
      const { iat, nbf, exp } = claims as { iat?: number; nbf?: number; exp?: number };
      if (iat !== undefined && iat * 1000 > nowMs + tolerance * 1000) throw tokenInvalid('token is invalid: "iat" claim is in the future');
      if (nbf !== undefined && nbf > Math.floor(nowMs / 1000) + tolerance)
        throw tokenInvalid('token is invalid: "nbf" claim timestamp check failed');
      if (exp !== undefined && hasExpired(exp, nowMs, tolerance)) throw expired();
      for (const name of ID_CLAIMS) {
        const value = claims[name];
        if (value !== undefined && idProblem(value) !== undefined)
          throw tokenInvalid(`token is invalid: "${name}" claim is not a valid id`);
      }
    } catch (err) {
      // A getter or proxy in a hand-made claims object may throw anything.
      if (err instanceof RevocastError) throw err;
      throw tokenInvalid('token is invalid: the claims cannot be read', err);
    }
    return claims as VerifiedClaims;
  };
}
