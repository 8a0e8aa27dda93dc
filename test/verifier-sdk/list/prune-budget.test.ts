import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digest64 } from '../../../verifier-sdk/src/list/digest.js';
import { RevocationList } from '../../../verifier-sdk/src/list/revocation-list.js';

const SEED = 0x5eed;
const T0 = 1_700_000_000_000;
const TOLERANCE_MS = 0;

/**
 * Token ids whose digests share the high 32 bits (the key the expiry queue
 * holds) under the list's seed: the case that once let one queued key drop
 * two entries and a slice go over its budget. Found by a birthday search.
 */
function idsSharingAQueuedKey(groups: number): string[][] {
  const seen = new Map<number, string>();
  const found: string[][] = [];
  const out = new Int32Array(2);
  for (let i = 0; found.length < groups; i++) {
    const id = `collide-${i}`;
    digest64(id, SEED, out);
    const hi = out[0] as number;
    const other = seen.get(hi);
    if (other === undefined) seen.set(hi, id);
    else found.push([other, id]);
  }
  return found;
}

const sharing = idsSharingAQueuedKey(3);
const pool = [...sharing.flat(), ...Array.from({ length: 10 }, (_, i) => `plain-${i}`)];

type Op =
  | { readonly kind: 'put'; readonly id: string; readonly pruneInS: number }
  | { readonly kind: 'remove'; readonly id: string }
  | { readonly kind: 'prune'; readonly advanceS: number; readonly budget: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('put' as const), id: fc.constantFrom(...pool), pruneInS: fc.integer({ min: 0, max: 6 }) }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom(...pool) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('prune' as const),
      advanceS: fc.integer({ min: 0, max: 3 }),
      budget: fc.integer({ min: 1, max: 4 }),
    }),
    weight: 3,
  },
);

describe('pruning in slices', () => {
  it('the ids used here really share a queued key', () => {
    const a = new Int32Array(2);
    const b = new Int32Array(2);
    for (const [x, y] of sharing) {
      digest64(x as string, SEED, a);
      digest64(y as string, SEED, b);
      expect(a[0]).toBe(b[0]);
      expect(a[1]).not.toBe(b[1]);
    }
  });

  it('never drops more than its budget, never drops an entry early, and drops every expired entry in the end', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        let now = T0;
        const list = new RevocationList(TOLERANCE_MS, now, { seed: SEED });
        // The model: id -> drop bucket (the later one wins), and the bucket below which nothing new is kept.
        const model = new Map<string, number>();
        let prunedThrough = Math.floor(now / 1000);
        for (const step of ops) {
          if (step.kind === 'put') {
            const pruneAt = now + step.pruneInS * 1000;
            const bucket = Math.floor((pruneAt + TOLERANCE_MS) / 1000);
            list.put({ type: 'token', id: step.id, pruneAt });
            if (bucket >= prunedThrough) model.set(step.id, Math.max(bucket, model.get(step.id) ?? 0));
          } else if (step.kind === 'remove') {
            list.remove('token', step.id);
            model.delete(step.id);
          } else {
            now += step.advanceS * 1000;
            const through = Math.floor(now / 1000);
            prunedThrough = Math.max(prunedThrough, through);
            const dropped = list.prune(now, step.budget);
            expect(dropped).toBeLessThanOrEqual(step.budget);
            // Whatever is not due yet is still there.
            for (const [id, bucket] of model) if (bucket >= through) expect(list.has('token', id)).toBe(true);
          }
        }
        list.prune(now);
        const through = Math.floor(now / 1000);
        for (const id of pool) {
          const bucket = model.get(id);
          expect(list.has('token', id)).toBe(bucket !== undefined && bucket >= through);
        }
        expect(list.size).toBe([...model.values()].filter((bucket) => bucket >= through).length);
      }),
      { numRuns: 2000 },
    );
  });

  it('drops exactly the budget per slice when every queued key is shared by two entries', () => {
    const list = new RevocationList(TOLERANCE_MS, T0, { seed: SEED });
    for (const id of sharing.flat()) list.put({ type: 'token', id, pruneAt: T0 + 1000 });
    expect(list.size).toBe(sharing.length * 2);
    const slices: number[] = [];
    while (list.size > 0) {
      slices.push(list.prune(T0 + 10_000, 1));
      expect(slices.length).toBeLessThanOrEqual(sharing.length * 2);
    }
    expect(slices).toEqual(sharing.flat().map(() => 1));
  });
});
