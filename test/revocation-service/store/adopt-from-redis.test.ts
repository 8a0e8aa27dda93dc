import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mustAdopt } from '../../../revocation-service/src/store/postgres/adopt-from-redis.js';

const NOW = 1_700_000_000_000;
const LATER = NOW + 60_000;

describe('which revocations a re-seed adopts from Redis before replacing it', () => {
  it('adopts a live revocation the record does not hold', () => {
    expect(mustAdopt('token', { pruneAt: LATER }, NOW, undefined, undefined, NOW - 5)).toBe(true);
    expect(mustAdopt('session', { pruneAt: LATER }, NOW, undefined, undefined, undefined)).toBe(true);
    expect(mustAdopt('subject', { pruneAt: LATER, cutoff: NOW - 1 }, NOW, undefined, undefined, undefined)).toBe(true);
  });

  it('leaves what has expired, and a subject without a cutoff (no verifier enforces it)', () => {
    expect(mustAdopt('token', { pruneAt: NOW }, NOW, undefined, undefined, undefined)).toBe(false);
    expect(mustAdopt('subject', { pruneAt: LATER }, NOW, undefined, undefined, undefined)).toBe(false);
  });

  it('adopts only a wider revocation than the record holds: a later expiry, or a later cutoff', () => {
    expect(mustAdopt('token', { pruneAt: LATER }, NOW, { pruneAt: LATER, cutoff: null }, undefined, undefined)).toBe(false);
    expect(mustAdopt('token', { pruneAt: LATER + 1 }, NOW, { pruneAt: LATER, cutoff: null }, undefined, undefined)).toBe(true);
    expect(mustAdopt('subject', { pruneAt: LATER, cutoff: NOW - 10 }, NOW, { pruneAt: LATER, cutoff: NOW - 5 }, undefined, undefined)).toBe(
      false,
    );
    expect(mustAdopt('subject', { pruneAt: LATER, cutoff: NOW - 1 }, NOW, { pruneAt: LATER, cutoff: NOW - 5 }, undefined, undefined)).toBe(
      true,
    );
  });

  it('lets an audited reinstate of the record win over what Redis still shows from before it', () => {
    const reinstated = { reinstated: true, at: NOW - 100 };
    // Redis has not received the reinstate yet (or the entry came from the record itself: no details, no time).
    expect(mustAdopt('token', { pruneAt: LATER }, NOW, undefined, reinstated, undefined)).toBe(false);
    expect(mustAdopt('token', { pruneAt: LATER }, NOW, undefined, reinstated, NOW - 200)).toBe(false);
    // Revoked again in Redis after the reinstate: a newer revocation, kept.
    expect(mustAdopt('token', { pruneAt: LATER }, NOW, undefined, reinstated, NOW - 50)).toBe(true);
    // The record's last word was a revoke (since pruned or not): nothing lifts it.
    expect(mustAdopt('token', { pruneAt: LATER }, NOW, undefined, { reinstated: false, at: NOW - 100 }, undefined)).toBe(true);
  });

  it('never lets a live revocation go unless the record holds it as wide or reinstated it later', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('token' as const, 'session' as const),
        fc.integer({ min: 1, max: 1e6 }),
        fc.option(fc.integer({ min: 1, max: 2e6 }), { nil: undefined }),
        fc.option(fc.record({ reinstated: fc.boolean(), at: fc.integer({ min: 0, max: 2e6 }) }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 2e6 }), { nil: undefined }),
        (type, ahead, heldAhead, last, revokedAt) => {
          const entry = { pruneAt: NOW + ahead };
          const held = heldAhead === undefined ? undefined : { pruneAt: NOW + heldAhead, cutoff: null };
          const adopt = mustAdopt(type, entry, NOW, held, held === undefined ? last : { reinstated: false, at: 0 }, revokedAt);
          const covered = held !== undefined && held.pruneAt >= entry.pruneAt;
          const liftedLater = held === undefined && last?.reinstated === true && (revokedAt === undefined || revokedAt <= last.at);
          expect(adopt).toBe(!covered && !liftedLater);
        },
      ),
      { numRuns: 500 },
    );
  });
});
