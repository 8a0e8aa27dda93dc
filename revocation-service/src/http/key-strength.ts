/** Least estimated strength of an admin key secret, in bits. */
export const MIN_KEY_BITS = 96;

/** How to make a key that passes, for error messages and docs. */
export const MAKE_A_KEY =
  "make one with `openssl rand -base64 32` or `node -e \"console.log(require('node:crypto').randomBytes(32).toString('base64url'))\"`";

/**
 * A rough, conservative estimate of a secret's strength in bits: the
 * Shannon entropy of its own characters times the number of characters
 * that do not merely continue a run (a third repeat, or a third step of an
 * ascending or descending sequence, counts nothing). `aaaaaaaaaaaaaaaa` is
 * 0 bits and `0123456789abcdef` 16; 24 random bytes in hex or base64 come
 * out above 96, since the estimate undercounts random strings.
 */
export function estimateKeyBits(secret: string): number {
  const points = Array.from(secret, (char) => char.codePointAt(0) as number);
  const counts = new Map<number, number>();
  for (const point of points) counts.set(point, (counts.get(point) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / points.length;
    perChar -= p * Math.log2(p);
  }
  let counted = 0;
  for (let i = 0; i < points.length; i++) {
    const step = i >= 2 ? (points[i] as number) - (points[i - 1] as number) : Number.NaN;
    const continuesRun = Math.abs(step) <= 1 && (points[i - 1] as number) - (points[i - 2] as number) === step;
    if (!continuesRun) counted++;
  }
  return counted * perChar;
}
