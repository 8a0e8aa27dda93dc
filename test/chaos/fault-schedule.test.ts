import { describe, expect, it } from 'vitest';
import { faultSchedule } from './fault-schedule.js';
import { FAULT_KINDS } from './faults.js';
import { seededRandom } from './random.js';

const drain = <K>(next: () => K | undefined, limit = 1000): K[] => {
  const out: K[] = [];
  for (let kind = next(); kind !== undefined && out.length < limit; kind = next()) out.push(kind);
  return out;
};

describe('the chaos fault schedule', () => {
  it('injects every kind once, in order, even when the time is already up', () => {
    const schedule = faultSchedule(FAULT_KINDS, seededRandom(1));
    expect(drain(() => schedule.next(false))).toEqual([...FAULT_KINDS]);
  });

  it('covers kinds added later without any change to it', () => {
    const kinds = [...FAULT_KINDS, 'event-loop-stall', 'redis-refuses-writes'];
    const schedule = faultSchedule(kinds, seededRandom(2));
    expect(drain(() => schedule.next(false))).toEqual(kinds);
  });

  it('then picks kinds at random, from the same seed the same way, until the time is up', () => {
    const run = (seed: number) => {
      const schedule = faultSchedule(FAULT_KINDS, seededRandom(seed));
      let left = FAULT_KINDS.length + 20;
      return drain(() => schedule.next(left-- > 0));
    };
    const first = run(7);
    expect(first.slice(0, FAULT_KINDS.length)).toEqual([...FAULT_KINDS]);
    expect(first).toHaveLength(FAULT_KINDS.length + 20);
    for (const kind of first) expect(FAULT_KINDS).toContain(kind);
    expect(run(7)).toEqual(first);
  });
});
