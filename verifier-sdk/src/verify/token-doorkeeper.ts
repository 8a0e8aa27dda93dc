import { tokenHash } from './token-hash.js';

/**
 * Which verified tokens earn a place in the verified-token cache: those seen
 * a second time. A server with many users sees most tokens once; caching
 * those costs an insertion, an eviction and old-generation garbage on every
 * call and never pays back. A token that comes back is likely to come again.
 *
 * It remembers recently missed tokens as 32-bit hashes in a fixed table, one
 * slot per hash, and keeps no string. Two tokens that share a slot push each
 * other out (the next one needs one more sighting); two that share a hash let
 * the second in on its first sighting. Either way only cache admission is
 * decided here: every token is verified in full before it is offered.
 */
export class TokenDoorkeeper {
  readonly #seen: Uint32Array;
  readonly #mask: number;

  /** `slots` is rounded up to a power of two; four bytes each. */
  constructor(slots: number) {
    let size = 1;
    while (size < slots) size *= 2;
    this.#seen = new Uint32Array(size);
    this.#mask = size - 1;
  }

  /** Slots for a cache of `maxEntries`: as many as it holds (a power of two at or above it, at least 1,024, at most 1,048,576). */
  static slotsFor(maxEntries: number): number {
    return Math.min(Math.max(maxEntries, 1024), 1 << 20);
  }

  get slots(): number {
    return this.#seen.length;
  }

  /**
   * True when `token` was offered before (and still held its slot): it may
   * be cached now. Otherwise remembers it and answers false. `hash` is its
   * {@link tokenHash}, when the caller has it already.
   */
  admit(token: string, hash = tokenHash(token)): boolean {
    const slot = hash & this.#mask;
    if (this.#seen[slot] === hash) {
      this.#seen[slot] = 0;
      return true;
    }
    this.#seen[slot] = hash;
    return false;
  }
}
