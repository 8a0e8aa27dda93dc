import { createHash, randomBytes } from 'node:crypto';

/** A new refresh token: 256 random bits, opaque to the browser. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the store keeps of a refresh token. A fast hash is enough: the token
 * is 256 random bits, beyond guessing, and the lookup must be by hash.
 */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
