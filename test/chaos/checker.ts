import type { Verifier } from '@revocast/verifier-sdk';
import type { RemoteVerifier } from './remote-verifier.js';
import type { Revocation, Workload } from './workload.js';

/** A revoked token a verifier accepted after the staleness budget had run out. */
export interface LateAccept {
  readonly verifier: number;
  readonly type: string;
  readonly id: string;
  /** Milliseconds from the acknowledgement to the acceptance. */
  readonly afterAckMs: number;
  /** When it was accepted (epoch ms). */
  readonly at: number;
  /** The revocation's offset, and where the verifier stood. */
  readonly offset: number | undefined;
  readonly verifierAt: string;
}

export interface CheckerFigures {
  sweeps: number;
  checks: number;
  /** Accepted after the acknowledgement but within the budget (propagation still under way). */
  acceptedWithinBudget: number;
  lateAccepts: LateAccept[];
  /** Checks a stale verifier refused (fail closed). */
  refusedStale: number;
  /** Longest acknowledgement-to-rejection time on every verifier. */
  maxEnforceMs: number;
  enforceDelays: number[];
  /** Oldest a verifier's list was while it still served (not stale). */
  maxServingAgeMs: number;
}

/**
 * Asks every verifier about every acknowledged revocation, over and over,
 * while the chaos runs. A verifier that accepts one more than `budgetMs`
 * after its acknowledgement is a late accept; one that is stale refuses
 * everything (fails closed), which is allowed.
 */
export class Checker {
  readonly figures: CheckerFigures = {
    sweeps: 0,
    checks: 0,
    acceptedWithinBudget: 0,
    lateAccepts: [],
    refusedStale: 0,
    maxEnforceMs: 0,
    enforceDelays: [],
    maxServingAgeMs: 0,
  };
  readonly #verifiers: readonly Verifier[];
  readonly #workload: Workload;
  readonly #budgetMs: number;
  readonly #clock: () => number;
  /** Verifiers in other processes check for themselves; a revocation is enforced everywhere only once they report it. */
  readonly #remotes: readonly RemoteVerifier[];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    verifiers: readonly Verifier[],
    workload: Workload,
    budgetMs: number,
    clock: () => number,
    remotes: readonly RemoteVerifier[] = [],
  ) {
    this.#verifiers = verifiers;
    this.#remotes = remotes;
    this.#workload = workload;
    this.#budgetMs = budgetMs;
    this.#clock = clock;
  }

  /**
   * Sweeps everything every `fullEveryMs` (a revocation once enforced must
   * stay so), and what is not yet enforced everywhere every `newEveryMs`
   * (to time propagation closely).
   */
  start(fullEveryMs: number, newEveryMs: number): void {
    let last = 0;
    this.#timer = setInterval(() => {
      const full = this.#clock() - last >= fullEveryMs;
      if (full) last = this.#clock();
      this.sweep(full);
    }, newEveryMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  sweep(full = true): void {
    const now = this.#clock();
    const figures = this.figures;
    if (full) figures.sweeps++;
    const stale: boolean[] = [];
    for (const v of this.#verifiers) {
      const status = v.status;
      stale.push(status.stale);
      if (!status.stale && status.lastSyncAt !== null) {
        figures.maxServingAgeMs = Math.max(figures.maxServingAgeMs, now - status.lastSyncAt.getTime());
      }
    }
    for (const revocation of this.#workload.inForce()) {
      if (full || revocation.enforcedEverywhereAt === undefined) this.#check(revocation, now, stale);
    }
  }

  /**
   * `stale[i]`: verifier i was stale at the start of this sweep (nothing in
   * between can change it), so every check on it fails closed; counted
   * without the thrown error, which would make the harness itself the slow
   * process under test.
   */
  #check(revocation: Revocation, now: number, stale: readonly boolean[]): void {
    const figures = this.figures;
    const ackAt = revocation.ackAt as number;
    let everywhere = true;
    for (const [index, v] of this.#verifiers.entries()) {
      figures.checks++;
      if (stale[index] === true) {
        figures.refusedStale++;
        everywhere = false;
        continue;
      }
      let revoked: boolean;
      try {
        revoked = v.isRevoked(revocation.claims);
      } catch {
        // ERR_LIST_STALE: the verifier fails closed.
        figures.refusedStale++;
        everywhere = false;
        continue;
      }
      if (revoked) continue;
      everywhere = false;
      const afterAckMs = now - ackAt;
      if (afterAckMs <= this.#budgetMs) figures.acceptedWithinBudget++;
      else {
        const status = v.status;
        figures.lateAccepts.push({
          verifier: index,
          type: revocation.type,
          id: revocation.id,
          afterAckMs,
          at: now,
          offset: revocation.offset,
          verifierAt: `${status.epoch}:${status.offset} ${status.state}, confirmed ${status.lastSyncAt?.toISOString()}`,
        });
      }
    }
    if (this.#remotes.some((remote) => !remote.enforcedAt.has(revocation.id))) everywhere = false;
    if (everywhere && revocation.enforcedEverywhereAt === undefined) {
      revocation.enforcedEverywhereAt = now;
      // Never negative: a verifier may reject before the API answers.
      const delay = Math.max(0, now - ackAt);
      figures.enforceDelays.push(delay);
      figures.maxEnforceMs = Math.max(figures.maxEnforceMs, delay);
    }
  }
}
