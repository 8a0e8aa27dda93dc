import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenDoorkeeper } from '../../../verifier-sdk/src/verify/token-doorkeeper.js';
import { tokenHash } from '../../../verifier-sdk/src/verify/token-hash.js';

const token = fc.string({ minLength: 1, maxLength: 300 });

describe('token doorkeeper', () => {
  it('admits a token on its second sighting, never on its first', () => {
    fc.assert(
      fc.property(token, (value) => {
        const doorkeeper = new TokenDoorkeeper(1024);
        expect(doorkeeper.admit(value)).toBe(false);
        expect(doorkeeper.admit(value)).toBe(true);
      }),
      { seed: 12, numRuns: 500 },
    );
  });

  it('admits only tokens whose hash was offered before, so a token never seen is kept out unless it shares a hash', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 100 }), fc.integer({ min: 1, max: 64 }), (tokens, slots) => {
        const doorkeeper = new TokenDoorkeeper(slots);
        const offered = new Set<number>();
        for (const value of tokens) {
          const admitted = doorkeeper.admit(value);
          if (admitted) expect(offered.has(tokenHash(value))).toBe(true);
          offered.add(tokenHash(value));
        }
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('forgets a token once it is admitted, so its slot serves others', () => {
    const doorkeeper = new TokenDoorkeeper(1024);
    expect(doorkeeper.admit('a.b.c')).toBe(false);
    expect(doorkeeper.admit('a.b.c')).toBe(true);
    expect(doorkeeper.admit('a.b.c')).toBe(false);
  });

  it('holds a fixed table: a power of two sized to the cache, within bounds', () => {
    expect(new TokenDoorkeeper(TokenDoorkeeper.slotsFor(50_000)).slots).toBe(65_536);
    expect(new TokenDoorkeeper(TokenDoorkeeper.slotsFor(1)).slots).toBe(1024);
    expect(new TokenDoorkeeper(TokenDoorkeeper.slotsFor(10_000_000)).slots).toBe(1 << 20);
  });

  it('never hashes to 0, the empty slot', () => {
    fc.assert(
      fc.property(fc.string(), (value) => tokenHash(value) !== 0),
      { seed: 12, numRuns: 1000 },
    );
  });
});
