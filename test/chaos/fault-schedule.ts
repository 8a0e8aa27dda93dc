import type { Random } from './random.js';

/** Hands out the faults of a run, one at a time. */
export interface FaultSchedule<K> {
  /**
   * The next fault to inject, or `undefined` when the run is over. Every
   * kind comes once first, in the order given, whether or not time is left;
   * after that a kind at random while `timeLeft`.
   */
  next(timeLeft: boolean): K | undefined;
}

/**
 * The order of a run's faults. Coverage is not left to chance or to the
 * machine's speed: a run on a slow, loaded machine takes longer rather than
 * skip a kind, so "every kind at least once" is something a run guarantees.
 * New kinds need no change here: they join the first pass in their place.
 */
export function faultSchedule<K>(kinds: readonly K[], random: Random): FaultSchedule<K> {
  let covered = 0;
  return {
    next(timeLeft) {
      if (covered < kinds.length) return kinds[covered++];
      return timeLeft && kinds.length > 0 ? random.pick(kinds) : undefined;
    },
  };
}
