import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ID_LENGTH,
  SNAPSHOT_FORMAT,
  SnapshotDecodeError,
  decodeManifest,
  decodeSnapshotSegment,
  encodeManifest,
  encodeSnapshotSegment,
  planSegments,
  snapshotFits,
  type Entry,
  type SnapshotManifest,
} from '@revocast/verifier-sdk/protocol';

const EPOCH = '0123456789abcdef';

/** Ids as the protocol allows them: 1 to 256 UTF-16 code units, no control characters, no lone surrogates. */
const id = fc
  .string({
    unit: fc.oneof(fc.constantFrom('a', 'Z', '9', '-', ':', 'é', '€', '😀'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
    minLength: 1,
    maxLength: 40,
  })
  .filter((s) => s.length <= MAX_ID_LENGTH && !/[\u0000-\u001f\u007f]/.test(s));
const time = fc.integer({ min: 0, max: 2 ** 53 - 1 });
const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc.record({ type: fc.constant('token' as const), id, pruneAt: time }),
  fc.record({ type: fc.constant('session' as const), id, pruneAt: time }),
  fc.record({ type: fc.constant('subject' as const), id, pruneAt: time, cutoff: time }),
);

function manifest(overrides: Partial<SnapshotManifest> = {}): SnapshotManifest {
  return {
    format: SNAPSHOT_FORMAT,
    id: 'aa'.repeat(12),
    epoch: EPOCH,
    offset: 40,
    streamId: '1700000000000-3',
    counts: { token: 3, session: 1, subject: 1 },
    chunks: 1,
    bytes: 120,
    encoding: 'deflate',
    sha256: 'ab'.repeat(32),
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

describe('the compact snapshot encoding', () => {
  it('gives back every entry it was given, whatever the ids, times and cutoffs, in prune-time order', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 60 }), (entries) => {
        const decoded = decodeSnapshotSegment(encodeSnapshotSegment(entries));
        const order = (list: readonly Entry[]) => list.map((e) => JSON.stringify(e)).sort();
        expect(order(decoded)).toEqual(order(entries));
        for (let i = 1; i < decoded.length; i++) expect(decoded[i]!.pruneAt).toBeGreaterThanOrEqual(decoded[i - 1]!.pruneAt);
      }),
      { seed: 20261206, numRuns: 400 },
    );
  });

  it('refuses anything that is not a segment with a SnapshotDecodeError, never another error', () => {
    const valid = encodeSnapshotSegment([
      { type: 'token', id: 'jti-1', pruneAt: 1_700_000_000_000 },
      { type: 'subject', id: 'alice', pruneAt: 1_700_003_600_000, cutoff: 1_700_000_000_000 },
    ]);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          // The valid segment with bytes changed or cut: either it still decodes, or it is refused cleanly.
          fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
            const copy = valid.slice();
            copy[at] = byte;
            return copy;
          }),
          fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
        ),
        (bytes) => {
          try {
            const entries = decodeSnapshotSegment(bytes);
            for (const e of entries) {
              expect(e.id.length).toBeGreaterThan(0);
              expect(e.id.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
              expect(Number.isSafeInteger(e.pruneAt) && e.pruneAt >= 0).toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(SnapshotDecodeError);
          }
        },
      ),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('refuses ids that are not UTF-8, and lengths that do not match the ids', () => {
    const good = encodeSnapshotSegment([{ type: 'token', id: 'abc', pruneAt: 5 }]);
    const badUtf8 = good.slice();
    badUtf8[badUtf8.length - 1] = 0xff;
    expect(() => decodeSnapshotSegment(badUtf8)).toThrow(/not UTF-8/);
    expect(() => decodeSnapshotSegment(good.slice(0, good.length - 1))).toThrow(/code units/);
  });

  it('splits entries into segments by size, keeping their order', () => {
    const entries: Entry[] = Array.from({ length: 1000 }, (_, i) => ({
      type: 'token',
      // ASCII, two-byte, three-byte and four-byte (surrogate pair) characters.
      id: `token-${i}`.padEnd(i % 4 === 0 ? 200 : 60, ['x', 'é', '€', '😀'][i % 4] as string).slice(0, 200),
      pruneAt: i,
    }));
    const segments = planSegments(entries, 64 * 1024);
    expect(segments.length).toBeGreaterThan(1);
    expect(segments.flat()).toEqual(entries);
    for (const segment of segments) expect(encodeSnapshotSegment(segment).length).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('the snapshot manifest', () => {
  it('round-trips through the hash fields', () => {
    const m = manifest();
    const pairs = encodeManifest(m);
    const hash = Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]));
    expect(decodeManifest(hash)).toEqual(m);
  });

  it.each([
    ['no fields at all', {}],
    ['a bad epoch', { epoch: 'not-hex' }],
    ['a bad stream id', { stream_id: 'x' }],
    ['a bad id', { id: 'ZZ' }],
    ['an unknown encoding', { encoding: 'br' }],
    ['a short checksum', { sha256: 'ab' }],
    ['a negative count', { tokens: '-1' }],
    ['entries without chunks', { chunks: '0' }],
  ])('is refused with %s', (_name, change) => {
    const pairs = encodeManifest(manifest());
    const hash = Object.fromEntries(Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]));
    const broken = Object.keys(change).length === 0 ? {} : { ...hash, ...change };
    expect(decodeManifest(broken)).toBeUndefined();
  });
});

describe('whether a snapshot fits the history a verifier reads', () => {
  const head = { epoch: EPOCH, offset: 50, streamId: '1700000000000-9' };
  it('fits at or below the head of the same epoch', () => {
    expect(snapshotFits(manifest({ offset: 50 }), head)).toBe('fits');
    expect(snapshotFits(manifest({ offset: 0, streamId: '0-0' }), head)).toBe('fits');
  });
  it('does not fit another epoch, a later offset or an unknown format', () => {
    expect(snapshotFits(manifest(), { ...head, epoch: 'fedcba9876543210' })).toBe('other-epoch');
    expect(snapshotFits(manifest(), { epoch: null, offset: 0, streamId: '0-0' })).toBe('other-epoch');
    expect(snapshotFits(manifest({ offset: 51 }), head)).toBe('ahead-of-head');
    expect(snapshotFits(manifest({ format: SNAPSHOT_FORMAT + 1 }), head)).toBe('unknown-format');
  });
});
