import type { Entry } from './entry.js';

/**
 * Whether a subject revocation with `cutoffMs` (epoch milliseconds) covers a
 * token whose `iat` claim is `iat` (epoch seconds, possibly fractional): a
 * cutoff covers tokens issued at or before it, compared in milliseconds
 * (`iat × 1000` rounded to the nearest integer, halves up, as `Math.round`).
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

/**
 * The cutoff a subject entry enforces. An entry without one (no writer
 * stores it so, but a record might lack it) covers every token issued
 * before it is pruned: when in doubt a revocation stays.
 */
export function cutoffOf(entry: Pick<Entry, 'pruneAt' | 'cutoff'>): number {
  return entry.cutoff ?? entry.pruneAt;
}
