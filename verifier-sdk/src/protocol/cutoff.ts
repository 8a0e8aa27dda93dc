/**
 * Whether a subject revocation with `cutoffMs` (epoch milliseconds) covers a
 * token whose `iat` claim is `iat` (epoch seconds, possibly fractional): a
 * cutoff covers tokens issued at or before it, compared in milliseconds.
 * Anything that is not a finite number (no `iat`, `NaN`, `Infinity`, a
 * string) cannot show the token was issued after the cutoff, so it is
 * covered too: when in doubt a revocation stays.
 *
 * The one copy of this rule: verifiers' lists and the service's
 * introspection both call it.
 */
export function coveredByCutoff(iat: unknown, cutoffMs: number): boolean {
  return typeof iat !== 'number' || !Number.isFinite(iat) || Math.round(iat * 1000) <= cutoffMs;
}
