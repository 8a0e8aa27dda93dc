import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacCheck, type HmacHash } from '../../../../verifier-sdk/src/verify/jws/hmac.js';

/**
 * The HMAC check is RFC 2104 built from one-shot hashes; node:crypto's
 * createHmac is the reference. Keys shorter than, as long as and longer than
 * the block (64 bytes for SHA-256, 128 for SHA-384 and SHA-512), and inputs
 * longer than the buffer the check starts with, so it has to grow.
 */

const HASHES: readonly HmacHash[] = ['sha256', 'sha384', 'sha512'];
const reference = (hash: HmacHash, secret: Uint8Array, input: string) =>
  createHmac(hash, secret).update(input, 'latin1').digest('base64url');

/** A signing input as a token has one: base64url characters and a dot. */
const signingInput = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'), maxLength });

describe('hmacCheck', () => {
  it('accepts exactly the MAC createHmac computes, for every hash, key length and input length', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HASHES),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.array(signingInput(600), { minLength: 1, maxLength: 4 }),
        (hash, secret, inputs) => {
          const check = hmacCheck(hash, secret);
          for (const input of inputs) {
            const mac = reference(hash, secret, input);
            expect(check(input, mac)).toBe(true);
            // The same MAC for another input, or another MAC for this one, is refused.
            expect(check(`${input}A`, mac)).toBe(false);
            expect(check(input, reference(hash, Buffer.concat([secret, Buffer.of(1)]), input))).toBe(false);
          }
        },
      ),
      { seed: 20261207, numRuns: 400 },
    );
  });

  it('refuses a signature that differs in one character, is cut short or runs on', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), signingInput(200), fc.nat(), fc.nat(63), (hash, input, at, to) => {
        const secret = Buffer.alloc(64, 7);
        const check = hmacCheck(hash, secret);
        const mac = reference(hash, secret, input);
        const i = at % mac.length;
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const replacement = alphabet[to] as string;
        fc.pre(replacement !== mac[i]);
        expect(check(input, `${mac.slice(0, i)}${replacement}${mac.slice(i + 1)}`)).toBe(false);
        expect(check(input, mac.slice(0, i))).toBe(false);
        expect(check(input, `${mac}A`)).toBe(false);
        expect(check(input, '')).toBe(false);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('grows for an input longer than its first buffer and still agrees after it', () => {
    const secret = Buffer.from('a secret of at least thirty-two bytes.');
    const check = hmacCheck('sha256', secret);
    const long = 'x'.repeat(20_000);
    const short = 'eyJhbGciOiJIUzI1NiJ9.e30';
    expect(check(short, reference('sha256', secret, short))).toBe(true);
    expect(check(long, reference('sha256', secret, long))).toBe(true);
    // The grown buffer still holds the padded key: a short input after a long one is hashed alone.
    expect(check(short, reference('sha256', secret, short))).toBe(true);
    expect(check(`${long}y`, reference('sha256', secret, long))).toBe(false);
  });
});
