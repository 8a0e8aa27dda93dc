import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry, RevocationType } from '@revocast/verifier-sdk/protocol';
import { digest64 } from '../../../verifier-sdk/src/list/digest.js';
import { DigestTable } from '../../../verifier-sdk/src/list/digest-table.js';
import { RevocationList } from '../../../verifier-sdk/src/list/revocation-list.js';

const T0 = 1_700_000_000_000;
const TOLERANCE = 5000;

describe('revocation list checks', () => {
  it('matches a revoked jti, session and subject, and nothing else', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'token', id: 'j1', pruneAt: T0 + 60_000 });
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 60_000 });
    list.put({ type: 'subject', id: 'alice', pruneAt: T0 + 60_000, cutoff: T0 });
    expect(list.check({ jti: 'j1' })).toBe('jti');
    expect(list.check({ jti: 'j2', sid: 's1' })).toBe('session');
    expect(list.check({ jti: 'j2', sub: 'alice', iat: (T0 - 1000) / 1000 })).toBe('subject');
    expect(list.check({ jti: 'j2', sub: 'bob', iat: (T0 - 1000) / 1000, sid: 's2' })).toBe('ok');
    expect(list.counts()).toEqual({ token: 1, subject: 1, session: 1 });
  });

  it('ignores claims of the wrong type instead of matching them', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'token', id: '1', pruneAt: T0 + 60_000 });
    expect(list.check({ jti: 1 })).toBe('ok');
  });

  it('reinstating removes the entry', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.apply({ op: 'revoke', at: T0, entry: { type: 'token', id: 'j1', pruneAt: T0 + 60_000 } });
    list.apply({ op: 'reinstate', at: T0, type: 'token', id: 'j1' });
    expect(list.check({ jti: 'j1' })).toBe('ok');
    expect(list.size).toBe(0);
  });
});

describe('subject cutoff boundary', () => {
  const cutoff = T0 + 123; // "log out everywhere" at T0 + 123 ms
  const list = new RevocationList(TOLERANCE, T0);
  list.put({ type: 'subject', id: 'alice', pruneAt: cutoff + 3_600_000, cutoff });

  it('rejects a token issued earlier in the same second', () => {
    expect(list.check({ sub: 'alice', iat: (T0 + 50) / 1000 })).toBe('subject');
  });

  it('rejects a token issued in the same millisecond as the cutoff', () => {
    expect(list.check({ sub: 'alice', iat: cutoff / 1000 })).toBe('subject');
  });

  it('accepts a login one millisecond after the cutoff, in the same second', () => {
    expect(list.check({ sub: 'alice', iat: (cutoff + 1) / 1000 })).toBe('ok');
  });

  it('rejects a whole-second iat in the cutoff second: it may predate the cutoff', () => {
    expect(list.check({ sub: 'alice', iat: Math.floor(cutoff / 1000) })).toBe('subject');
  });

  it('rejects a token without iat: it cannot show it came after', () => {
    expect(list.check({ sub: 'alice' })).toBe('subject');
    expect(list.check({ sub: 'alice', iat: 'later' })).toBe('subject');
  });
});

describe('pruning', () => {
  it('keeps an entry through exp + tolerance and drops it after', () => {
    const list = new RevocationList(TOLERANCE, T0);
    const exp = T0 + 10_000;
    list.put({ type: 'token', id: 'j1', pruneAt: exp });
    list.prune(exp);
    expect(list.check({ jti: 'j1' })).toBe('jti');
    list.prune(exp + TOLERANCE);
    expect(list.check({ jti: 'j1' })).toBe('jti');
    expect(list.prune(exp + TOLERANCE + 1000)).toBe(1);
    expect(list.check({ jti: 'j1' })).toBe('ok');
  });

  it('does not drop an entry that a later revocation extended', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 1000 });
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 100_000 });
    list.prune(T0 + 50_000);
    expect(list.check({ sid: 's1' })).toBe('session');
    list.prune(T0 + 200_000);
    expect(list.check({ sid: 's1' })).toBe('ok');
  });

  it('does not keep an entry that is already past its drop time', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.prune(T0 + 60_000);
    list.put({ type: 'token', id: 'old', pruneAt: T0 });
    expect(list.size).toBe(0);
  });

  it('touches only the buckets that expire', () => {
    const list = new RevocationList(TOLERANCE, T0);
    for (let i = 0; i < 1000; i++) list.put({ type: 'token', id: `j${i}`, pruneAt: T0 + (i < 10 ? 1000 : 3_600_000) });
    expect(list.prune(T0 + 10_000)).toBe(10);
    expect(list.size).toBe(990);
  });
});

describe('compact index', () => {
  it('a repeat revocation with an earlier drop time does not shorten the entry', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 100_000 });
    list.put({ type: 'session', id: 's1', pruneAt: T0 + 1000 });
    list.prune(T0 + 50_000);
    expect(list.check({ sid: 's1' })).toBe('session');
  });

  it('a repeat subject revocation keeps the later cutoff', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'subject', id: 'alice', pruneAt: T0 + 3_600_000, cutoff: T0 + 5000 });
    list.put({ type: 'subject', id: 'alice', pruneAt: T0 + 3_600_000, cutoff: T0 });
    expect(list.check({ sub: 'alice', iat: (T0 + 4000) / 1000 })).toBe('subject');
  });

  it('keeps an entry whose drop time is beyond what 32 bits of seconds hold', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'token', id: 'forever', pruneAt: 253_402_300_799_000 });
    list.prune(T0 + 365 * 86_400_000);
    expect(list.check({ jti: 'forever' })).toBe('jti');
  });

  it('ignores claims longer than any revocable id without matching them', () => {
    const list = new RevocationList(TOLERANCE, T0);
    const id = 'x'.repeat(256);
    list.put({ type: 'token', id, pruneAt: T0 + 60_000 });
    expect(list.check({ jti: id })).toBe('jti');
    expect(list.check({ jti: `${id}x` })).toBe('ok');
  });

  it('grows past many thousands of entries and still finds each of them', () => {
    const list = new RevocationList(TOLERANCE, T0);
    for (let i = 0; i < 50_000; i++) list.put({ type: 'token', id: `jti-${i}`, pruneAt: T0 + 60_000 });
    expect(list.size).toBe(50_000);
    let found = 0;
    for (let i = 0; i < 50_000; i++) if (list.has('token', `jti-${i}`)) found++;
    expect(found).toBe(50_000);
    expect(list.has('token', 'jti-50000')).toBe(false);
    expect(list.has('session', 'jti-1')).toBe(false);
  });

  it('pruning in slices drops exactly what pruning at once drops', () => {
    const sliced = new RevocationList(TOLERANCE, T0, { seed: 1 });
    const whole = new RevocationList(TOLERANCE, T0, { seed: 1 });
    for (let i = 0; i < 5000; i++) {
      const entry = { type: i % 3 === 0 ? ('session' as const) : ('token' as const), id: `id-${i}`, pruneAt: T0 + (i % 7) * 10_000 };
      sliced.put(entry);
      whole.put(entry);
    }
    const now = T0 + 40_000;
    const dropped = whole.prune(now);
    let slicedDropped = 0;
    let slices = 0;
    do {
      slicedDropped += sliced.prune(now, 100);
      slices++;
    } while (sliced.pruning);
    expect(slices).toBeGreaterThan(10);
    expect(slicedDropped).toBe(dropped);
    expect(sliced.counts()).toEqual(whole.counts());
    for (let i = 0; i < 5000; i++) expect(sliced.has(i % 3 === 0 ? 'session' : 'token', `id-${i}`)).toBe(i % 7 >= 4);
  });

  it('prunes what expired across a long clock jump without visiting every second', () => {
    const list = new RevocationList(TOLERANCE, T0);
    list.put({ type: 'token', id: 'a', pruneAt: T0 + 10_000 });
    list.put({ type: 'token', id: 'b', pruneAt: T0 + 400 * 86_400_000 });
    expect(list.prune(T0 + 365 * 86_400_000)).toBe(1);
    expect(list.has('token', 'b')).toBe(true);
  });
});

describe('digest', () => {
  it('gives distinct 64-bit digests to 200,000 ids that differ only slightly', () => {
    const out = new Int32Array(2);
    const seen = new Set<bigint>();
    for (let i = 0; i < 200_000; i++) {
      digest64(`token-${i}`, 12345, out);
      seen.add((BigInt(out[0] as number) << 32n) | BigInt((out[1] as number) >>> 0));
    }
    expect(seen.size).toBe(200_000);
  });

  it('depends on the seed', () => {
    const a = new Int32Array(2);
    const b = new Int32Array(2);
    digest64('same-id', 1, a);
    digest64('same-id', 2, b);
    expect([...a]).not.toEqual([...b]);
  });
});

describe('the digest table behaves like a Set (property)', () => {
  it('finds exactly what was stored through growth, wrap-around and backward-shift deletes', () => {
    const op = fc.record({ remove: fc.boolean(), id: fc.integer({ min: 0, max: 400 }) });
    fc.assert(
      fc.property(fc.array(op, { minLength: 100, maxLength: 1500, size: 'max' }), fc.integer(), (ops, seed) => {
        const table = new DigestTable(seed);
        const model = new Set<number>();
        for (const { remove, id } of ops) {
          if (remove) expect(table.remove(`id-${id}`)).toBe(model.delete(id));
          else {
            table.put(`id-${id}`, 1);
            model.add(id);
          }
        }
        expect(table.size).toBe(model.size);
        for (let id = 0; id <= 400; id++) expect(table.find(`id-${id}`) >= 0).toBe(model.has(id));
      }),
      { numRuns: 200 },
    );
  });
});

/** The reference: a plain Map with the list's documented rules, ids kept in full. */
class MapModel {
  readonly entries = new Map<string, { bucket: number; cutoff: number }>();
  prunedThrough: number;

  constructor(now: number) {
    this.prunedThrough = Math.floor(now / 1000);
  }

  put(entry: Entry): void {
    const bucket = Math.floor((entry.pruneAt + TOLERANCE) / 1000);
    if (bucket < this.prunedThrough) return;
    const key = `${entry.type}:${entry.id}`;
    const cutoff = entry.type === 'subject' ? (entry.cutoff ?? entry.pruneAt) : 0;
    const previous = this.entries.get(key);
    this.entries.set(
      key,
      previous === undefined
        ? { bucket, cutoff }
        : { bucket: Math.max(bucket, previous.bucket), cutoff: Math.max(cutoff, previous.cutoff) },
    );
  }

  remove(type: RevocationType, id: string): void {
    this.entries.delete(`${type}:${id}`);
  }

  prune(now: number): void {
    const through = Math.floor(now / 1000);
    this.prunedThrough = Math.max(this.prunedThrough, through);
    for (const [key, { bucket }] of this.entries) if (bucket < through) this.entries.delete(key);
  }

  check(claims: { jti: string; sid: string; sub: string; iat?: number }): string {
    if (this.entries.has(`token:${claims.jti}`)) return 'jti';
    if (this.entries.has(`session:${claims.sid}`)) return 'session';
    const subject = this.entries.get(`subject:${claims.sub}`);
    if (subject !== undefined && (claims.iat === undefined || Math.round(claims.iat * 1000) <= subject.cutoff)) return 'subject';
    return 'ok';
  }

  counts(): Record<RevocationType, number> {
    const counts = { token: 0, subject: 0, session: 0 };
    for (const key of this.entries.keys()) counts[key.slice(0, key.indexOf(':')) as RevocationType]++;
    return counts;
  }
}

describe('the compact list behaves like a Map of full ids (property)', () => {
  // Few ids, so the same one is revoked, widened, reinstated and pruned within one run.
  const ids = fc.constantFrom('a', 'alice', '7', 'x'.repeat(256));
  const types = fc.constantFrom<RevocationType>('token', 'session', 'subject');
  const offset = fc.integer({ min: -20_000, max: 120_000 });
  const op = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), type: types, id: ids, pruneAt: offset, cutoff: offset }),
    fc.record({ kind: fc.constant('remove' as const), type: types, id: ids }),
    fc.record({
      kind: fc.constant('prune' as const),
      advance: fc.integer({ min: 0, max: 30_000 }),
      budget: fc.integer({ min: 1, max: 4 }),
    }),
  );

  it('agrees on every check, count and membership after any sequence of changes', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 60, size: 'max' }), fc.integer(), (ops, seed) => {
        let now = T0;
        const list = new RevocationList(TOLERANCE, now, { seed });
        const model = new MapModel(now);
        for (const step of ops) {
          if (step.kind === 'put') {
            const entry: Entry =
              step.type === 'subject'
                ? { type: 'subject', id: step.id, pruneAt: T0 + step.pruneAt + 3_600_000, cutoff: T0 + step.cutoff }
                : { type: step.type, id: step.id, pruneAt: T0 + step.pruneAt };
            if (entry.pruneAt < 0) continue;
            list.put(entry);
            model.put(entry);
          } else if (step.kind === 'remove') {
            list.remove(step.type, step.id);
            model.remove(step.type, step.id);
          } else {
            now += step.advance;
            // A small budget prunes in several slices; the result must be the same.
            do list.prune(now, step.budget);
            while (list.pruning);
            model.prune(now);
          }
          expect(list.counts()).toEqual(model.counts());
        }
        for (const jti of ['a', 'alice', '7', 'x'.repeat(256)]) {
          for (const sid of ['a', '7', 'x'.repeat(256)]) {
            for (const iat of [undefined, (T0 + 5000) / 1000, (T0 + 200_000) / 1000]) {
              const claims = { jti, sid, sub: jti === 'a' ? 'bob' : 'alice', ...(iat === undefined ? {} : { iat }) };
              expect(list.check(claims)).toBe(model.check(claims));
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
