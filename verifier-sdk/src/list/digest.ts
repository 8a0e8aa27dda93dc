const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A seeded 64-bit digest of a string, written into `out[0]` (high half) and
 * `out[1]` (low half) as signed 32-bit integers.
 *
 * MurmurHash3-style: two 32-bit lanes with different constants absorb the
 * UTF-16 code units two at a time, then mix into each other. Every step is
 * `Math.imul`, shifts and xors on small integers, so V8 keeps it in
 * registers: no allocation, no string copies. Each round is a bijection of
 * the lane state, so two strings of equal length that differ in one 32-bit
 * word never collide.
 */
export function digest64(text: string, seed: number, out: Int32Array): void {
  const length = text.length;
  let h1 = seed | 0;
  let h2 = (seed ^ 0x5bd1e995) | 0;
  const pairs = length - (length & 1);
  let i = 0;
  for (; i < pairs; i += 2) {
    const k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
    let k1 = Math.imul(k, C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k, C3);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C4);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2, 5) + 0x38495ab5) | 0;
  }
  if (i < length) {
    const k = text.charCodeAt(i);
    const k1 = Math.imul(k, C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    const k2 = Math.imul(k, C3);
    h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C4);
  }
  h1 ^= length;
  h2 ^= length;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
}

/** A random 32-bit seed, so digests differ between lists and processes. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Int32Array(1))[0] as number;
}
