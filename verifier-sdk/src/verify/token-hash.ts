/**
 * The one hash of a token that the verified-token cache and its doorkeeper
 * share, computed once per call: a cache miss (a token never seen) hashes
 * 16 characters once, instead of slicing out the signature for a string-keyed
 * Map and hashing again for the doorkeeper.
 */

/**
 * Characters hashed, from the end: a JWS ends with its signature, which
 * differs between any two tokens that verify; 16 of its characters are 96
 * bits of it, far more than the 32 bits the hash keeps.
 */
const HASHED_TAIL = 16;

/**
 * FNV-1a over the token's length and its last characters, never 0 (an empty
 * doorkeeper slot). Only tokens that verified are admitted or cached, so the
 * tails that matter are signatures: an attacker cannot choose them without
 * the key. A collision only admits a token one sighting early, or makes two
 * tokens take turns in one cache slot; a token presented with another's hash
 * finds an entry for a different string and is verified in full.
 */
export function tokenHash(token: string): number {
  let hash = Math.imul(0x811c9dc5 ^ token.length, 0x01000193);
  for (let i = Math.max(0, token.length - HASHED_TAIL); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0 || 1;
}

/**
 * The cache's Map key for a token hash: 30 bits, so V8 keeps it as a small
 * integer (no boxing, no string hashing). Two tokens may share a key; an
 * entry answers only for its own token, and one key holds one entry.
 */
export function cacheKeyOf(hash: number): number {
  return hash >>> 2;
}
