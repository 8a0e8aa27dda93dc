import { digest64 } from './digest.js';

/** Expiry bucket of an entry that is never pruned (its time does not fit in 32 bits). */
export const NEVER = 0xffffffff;

const MIN_CAPACITY = 16;
/** Robin Hood probing keeps misses short up to this load; memory stays near 16 bytes per entry. */
const MAX_LOAD = 0.75;
const GROWTH = 1.5;
const TWO_TO_32 = 4_294_967_296;

/**
 * A set of ids stored only as 64-bit digests, each with an expiry bucket
 * and, optionally, a number (a subject's cutoff).
 *
 * Open addressing with Robin Hood linear probing in typed arrays: a slot is
 * the digest (two int32 side by side, so probing reads one cache line), the
 * expiry (uint32) and the optional value (float64). The home slot is the
 * high half scaled to the capacity (`hi * capacity / 2^32`), so the capacity
 * need not be a power of two and can grow by 1.5 instead of 2. A miss stops
 * as soon as it meets a slot closer to its home than the probe, so misses
 * (most checks) stay around two slots even at 75% load. Deletion shifts the
 * following run back, so there are no tombstones and slots never degrade.
 *
 * The digest `(0, 0)` marks an empty slot; a real `(0, 0)` digest is stored
 * as `(0, 1)`.
 */
export class DigestTable {
  readonly #seed: number;
  /** Digest of the last id looked up or stored; reused so a lookup allocates nothing. */
  readonly #digest = new Int32Array(2);
  #capacity = 0;
  #scale = 0;
  #growAt = 0;
  #size = 0;
  #keys = new Int32Array(0);
  #expiry = new Uint32Array(0);
  #values: Float64Array | undefined;
  readonly #withValues: boolean;

  constructor(seed: number, withValues = false) {
    this.#seed = seed;
    this.#withValues = withValues;
    this.#allocate(MIN_CAPACITY);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the typed arrays. */
  get byteLength(): number {
    return this.#keys.byteLength + this.#expiry.byteLength + (this.#values?.byteLength ?? 0);
  }

  /** High half of the digest of the id last passed to {@link put}: what the expiry queue holds. */
  get lastKey(): number {
    return this.#digest[0] as number;
  }

  /** The slot holding `id`, or -1. */
  find(id: string): number {
    if (this.#size === 0) return -1;
    this.#digestOf(id);
    return this.#findKey(this.#digest[0] as number, this.#digest[1] as number);
  }

  expiryAt(slot: number): number {
    return this.#expiry[slot] as number;
  }

  valueAt(slot: number): number {
    return (this.#values as Float64Array)[slot] as number;
  }

  /**
   * Stores `id`, or widens what is stored: the later expiry and the larger
   * value win, so a repeat (or a digest collision) never shortens an entry.
   * Returns true when the stored expiry changed, so the caller queues it.
   */
  put(id: string, expiry: number, value = 0): boolean {
    this.#digestOf(id);
    const hi = this.#digest[0] as number;
    const lo = this.#digest[1] as number;
    const slot = this.#findKey(hi, lo);
    if (slot >= 0) {
      const values = this.#values;
      if (values !== undefined && value > (values[slot] as number)) values[slot] = value;
      if (expiry <= (this.#expiry[slot] as number)) return false;
      this.#expiry[slot] = expiry;
      return true;
    }
    if (this.#size + 1 > this.#growAt) this.#rehash(Math.ceil(this.#capacity * GROWTH));
    this.#insert(hi, lo, expiry, value);
    this.#size++;
    return true;
  }

  /**
   * Makes room for `count` entries in all, so that filling a table of known
   * size (a snapshot load) rehashes once instead of at every growth step.
   */
  reserve(count: number): void {
    if (count <= this.#growAt) return;
    this.#rehash(Math.ceil(count / MAX_LOAD) + 1);
  }

  /** Removes `id`; false when it was not there. */
  remove(id: string): boolean {
    const slot = this.find(id);
    if (slot < 0) return false;
    this.#deleteAt(slot);
    this.#size--;
    return true;
  }

  /**
   * Drops one entry whose digest starts with `key` and whose expiry is below
   * `through`; returns 1, or 0 when there is none. One, not all: every entry
   * with an expiry was queued under its own key (two ids may share the high
   * half), so a slice of n queued keys drops at most n entries and the keys
   * that share a high half each drop their own.
   */
  pruneKey(key: number, through: number): number {
    const keys = this.#keys;
    const expiry = this.#expiry;
    const capacity = this.#capacity;
    let i = this.#home(key);
    let distance = 0;
    for (;;) {
      const hi = keys[2 * i] as number;
      if (hi === 0 && keys[2 * i + 1] === 0) return 0;
      let resident = i - this.#home(hi);
      if (resident < 0) resident += capacity;
      if (resident < distance) return 0;
      if (hi === key && (expiry[i] as number) < through) {
        this.#deleteAt(i);
        this.#size--;
        return 1;
      }
      if (++i === capacity) i = 0;
      distance++;
    }
  }

  #digestOf(id: string): void {
    const digest = this.#digest;
    digest64(id, this.#seed, digest);
    if (digest[0] === 0 && digest[1] === 0) digest[1] = 1;
  }

  #home(hi: number): number {
    return ((hi >>> 0) * this.#scale) | 0;
  }

  #findKey(hi: number, lo: number): number {
    const keys = this.#keys;
    const capacity = this.#capacity;
    let i = this.#home(hi);
    let distance = 0;
    for (;;) {
      const residentHi = keys[2 * i] as number;
      const residentLo = keys[2 * i + 1] as number;
      if (residentHi === hi && residentLo === lo) return i;
      if (residentHi === 0 && residentLo === 0) return -1;
      let resident = i - this.#home(residentHi);
      if (resident < 0) resident += capacity;
      // Robin Hood order: past a slot closer to its home than we are to ours, the key cannot be.
      if (resident < distance) return -1;
      if (++i === capacity) i = 0;
      distance++;
    }
  }

  #insert(hi: number, lo: number, expiry: number, value: number): void {
    const keys = this.#keys;
    const expiries = this.#expiry;
    const values = this.#values;
    const capacity = this.#capacity;
    let i = this.#home(hi);
    let distance = 0;
    for (;;) {
      const residentHi = keys[2 * i] as number;
      const residentLo = keys[2 * i + 1] as number;
      if (residentHi === 0 && residentLo === 0) {
        keys[2 * i] = hi;
        keys[2 * i + 1] = lo;
        expiries[i] = expiry;
        if (values !== undefined) values[i] = value;
        return;
      }
      let resident = i - this.#home(residentHi);
      if (resident < 0) resident += capacity;
      if (resident < distance) {
        // Take the slot from the entry nearer its home and carry that one on.
        const residentExpiry = expiries[i] as number;
        keys[2 * i] = hi;
        keys[2 * i + 1] = lo;
        expiries[i] = expiry;
        hi = residentHi;
        lo = residentLo;
        expiry = residentExpiry;
        if (values !== undefined) {
          const residentValue = values[i] as number;
          values[i] = value;
          value = residentValue;
        }
        distance = resident;
      }
      if (++i === capacity) i = 0;
      distance++;
    }
  }

  /** Backward-shift deletion: pulls the rest of the run one slot closer to home. */
  #deleteAt(slot: number): void {
    const keys = this.#keys;
    const expiries = this.#expiry;
    const values = this.#values;
    const capacity = this.#capacity;
    let i = slot;
    for (;;) {
      let next = i + 1;
      if (next === capacity) next = 0;
      const hi = keys[2 * next] as number;
      const lo = keys[2 * next + 1] as number;
      if ((hi === 0 && lo === 0) || this.#home(hi) === next) {
        keys[2 * i] = 0;
        keys[2 * i + 1] = 0;
        return;
      }
      keys[2 * i] = hi;
      keys[2 * i + 1] = lo;
      expiries[i] = expiries[next] as number;
      if (values !== undefined) values[i] = values[next] as number;
      i = next;
    }
  }

  #allocate(capacity: number): void {
    this.#capacity = capacity;
    this.#scale = capacity / TWO_TO_32;
    this.#growAt = Math.floor(capacity * MAX_LOAD);
    this.#keys = new Int32Array(2 * capacity);
    this.#expiry = new Uint32Array(capacity);
    this.#values = this.#withValues ? new Float64Array(capacity) : undefined;
  }

  #rehash(capacity: number): void {
    const keys = this.#keys;
    const expiries = this.#expiry;
    const values = this.#values;
    const old = this.#capacity;
    this.#allocate(capacity);
    for (let i = 0; i < old; i++) {
      const hi = keys[2 * i] as number;
      const lo = keys[2 * i + 1] as number;
      if (hi !== 0 || lo !== 0) this.#insert(hi, lo, expiries[i] as number, values?.[i] ?? 0);
    }
  }
}
