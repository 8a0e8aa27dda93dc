import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Change, RevocationType } from '@revocast/verifier-sdk/protocol';
import { RevocationList } from '../../../verifier-sdk/src/list/revocation-list.js';
import { EntryMap } from '../../../verifier-sdk/src/mirror/entry-map.js';

const NOW = 1_700_000_000_000;
const TOLERANCE = 5000;
const ids = ['a', 'b', 'c'];
const types: RevocationType[] = ['token', 'session', 'subject'];

const change: fc.Arbitrary<Change> = fc.oneof(
  fc
    .record({
      type: fc.constantFrom(...types),
      id: fc.constantFrom(...ids),
      pruneAt: fc.integer({ min: NOW + 10_000, max: NOW + 100_000 }),
      cutoff: fc.integer({ min: NOW - 50_000, max: NOW }),
    })
    .map(
      ({ type, id, pruneAt, cutoff }): Change => ({
        op: 'revoke',
        at: NOW,
        entry: type === 'subject' ? { type, id, pruneAt, cutoff } : { type, id, pruneAt },
      }),
    ),
  fc
    .record({ type: fc.constantFrom(...types), id: fc.constantFrom(...ids) })
    .map(({ type, id }): Change => ({ op: 'reinstate', at: NOW, type, id })),
);

/**
 * The mirror the compact snapshot is written from must hold what a
 * verifier's list holds after the same changes, or a verifier joining from
 * the snapshot would hold something else than one that scanned.
 */
describe('the entry map of the mirror', () => {
  it('holds exactly what a verifier list holds after any sequence of changes, cutoffs to the millisecond', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
        const list = new RevocationList(TOLERANCE, NOW);
        const map = new EntryMap(TOLERANCE);
        for (const c of changes) {
          list.apply(c);
          map.apply(c);
        }
        const live = map.live(NOW);
        for (const type of types) {
          for (const id of ids) {
            const held = live.find((e) => e.type === type && e.id === id);
            expect(list.has(type, id)).toBe(held !== undefined);
            if (type === 'subject' && held !== undefined) {
              const cutoff = held.cutoff as number;
              expect(list.check({ sub: id, iat: cutoff / 1000 })).toBe('subject');
              expect(list.check({ sub: id, iat: (cutoff + 1) / 1000 })).toBe('ok');
            }
          }
        }
        // And a list loaded from the map's entries (as from a snapshot) answers the same.
        const loaded = new RevocationList(TOLERANCE, NOW);
        for (const e of live) loaded.put(e);
        expect(loaded.counts()).toEqual(list.counts());
      }),
      { seed: 1206, numRuns: 500 },
    );
  });

  it('drops entries once they are no longer enforced, and only then', () => {
    const map = new EntryMap(TOLERANCE);
    map.put({ type: 'token', id: 't', pruneAt: NOW });
    expect(map.live(NOW + TOLERANCE)).toHaveLength(1);
    expect(map.live(NOW + TOLERANCE + 1)).toHaveLength(0);
    expect(map.size).toBe(0);
  });
});
