/**
 * The last moment (epoch ms) an entry pruned at `pruneAt` must still be
 * enforced by a verifier that allows `toleranceMs` of clock skew: a token is
 * not expired until `exp` plus that tolerance, so dropping the entry at its
 * prune time would accept a revoked token again for the rest of the window.
 * A verifier may drop it any time after this; the list drops it by the
 * start of the next second (its expiry is kept in one-second buckets).
 */
export function enforcedUntil(pruneAt: number, toleranceMs: number): number {
  return pruneAt + toleranceMs;
}

/** Whether an entry pruned at `pruneAt` is still enforced at `now` (see {@link enforcedUntil}). */
export function isEnforced(pruneAt: number, toleranceMs: number, now: number): boolean {
  return now <= enforcedUntil(pruneAt, toleranceMs);
}
