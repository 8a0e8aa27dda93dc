import { describe, expect, it } from 'vitest';
import type { RevocationClaims, Verifier } from '@revocast/verifier-sdk';
import { Checker } from './checker.js';
import type { Revocation, Workload } from './workload.js';

/** A verifier stand-in that rejects what `revoked` holds, or is stale. */
function fakeVerifier(revoked: Set<string>, stale = false): Verifier {
  return {
    isRevoked: (claims: RevocationClaims) => {
      if (stale) throw Object.assign(new Error('stale'), { code: 'ERR_LIST_STALE' });
      return revoked.has(String(claims.jti));
    },
    get status() {
      return {
        state: stale ? 'stale' : 'ready',
        epoch: 'e',
        offset: 1,
        lastSyncAt: new Date(0),
        stale,
        entries: { token: 0, subject: 0, session: 0 },
      } as const;
    },
  } as unknown as Verifier;
}

function workloadOf(revocations: Revocation[]): Workload {
  return { inForce: () => revocations } as unknown as Workload;
}

describe('the chaos checker', () => {
  it('counts a revoked token accepted past the budget as late, and one within it as propagation', () => {
    let now = 10_000;
    const revocation: Revocation = { type: 'token', id: 'x', claims: { jti: 'x' }, sentAt: 9_000, ackAt: 9_000 };
    const checker = new Checker([fakeVerifier(new Set())], workloadOf([revocation]), 5000, () => now);
    checker.sweep();
    expect(checker.figures.acceptedWithinBudget).toBe(1);
    expect(checker.figures.lateAccepts).toEqual([]);
    now = 14_001;
    checker.sweep();
    expect(checker.figures.lateAccepts).toMatchObject([{ verifier: 0, id: 'x', afterAckMs: 5001 }]);
  });

  it('counts a stale verifier as refusing, never as accepting, and times enforcement everywhere', () => {
    let now = 10_000;
    const revocation: Revocation = { type: 'token', id: 'y', claims: { jti: 'y' }, sentAt: 9_000, ackAt: 9_900 };
    const checker = new Checker([fakeVerifier(new Set(['y'])), fakeVerifier(new Set(), true)], workloadOf([revocation]), 5000, () => now);
    now = 20_000;
    checker.sweep();
    expect(checker.figures.lateAccepts).toEqual([]);
    expect(checker.figures.refusedStale).toBe(1);
    expect(revocation.enforcedEverywhereAt).toBeUndefined();
  });
});
