/** What the queue hands expired keys to. */
export interface Prunable {
  /** Drops one entry under `key` whose expiry is below `through`; returns how many it dropped (0 or 1). */
  pruneKey(key: number, through: number): number;
}

/** Int32 per chunk: the next (older) chunk of the bucket, the key count, then the keys. */
const CHUNK = 16;
const KEYS_PER_CHUNK = CHUNK - 2;
/** Chunks live in small fixed slabs: growing never copies, and at most one slab is unused. */
const SLAB_SHIFT = 7;
const SLAB_CHUNKS = 1 << SLAB_SHIFT;
const SLAB_MASK = SLAB_CHUNKS - 1;

/**
 * Keys grouped by expiry bucket (one per second), so pruning visits only
 * what expires instead of scanning the whole table.
 *
 * A bucket is a linked list of 14-key chunks in int32 slabs: about 4.6
 * bytes per queued key plus at most one partly filled chunk (64 bytes) per
 * bucket, and drained chunks are reused. A key may stay queued after its entry was removed or
 * moved to a later bucket; pruning then finds nothing to drop for it.
 */
export class ExpiryQueue {
  readonly #heads = new Map<number, number>();
  readonly #slabs: Int32Array[] = [];
  #chunks = 0;
  #free = -1;
  /** Every bucket below this one has been drained. */
  #from: number;

  constructor(from: number) {
    this.#from = from;
  }

  /** Bytes held by the slabs. */
  get byteLength(): number {
    return this.#slabs.length * SLAB_CHUNKS * CHUNK * 4;
  }

  add(bucket: number, key: number): void {
    let head = this.#heads.get(bucket);
    if (head === undefined || this.#count(head) === KEYS_PER_CHUNK) {
      const chunk = this.#allocate(head ?? -1);
      this.#heads.set(bucket, chunk);
      head = chunk;
    }
    const slab = this.#slabs[head >>> SLAB_SHIFT] as Int32Array;
    const base = (head & SLAB_MASK) * CHUNK;
    const count = slab[base + 1] as number;
    slab[base + 2 + count] = key;
    slab[base + 1] = count + 1;
  }

  /**
   * Hands the keys of every bucket below `through` to `table`, at most
   * `budget` of them, and forgets them. Returns how many it handed over;
   * `budget` means there may be more.
   */
  drain(through: number, budget: number, table: Prunable): number {
    const heads = this.#heads;
    let visited = 0;
    if (through - this.#from > heads.size) {
      // Few buckets for the time that passed (a long pause, a clock jump): look them up, not every second.
      for (const bucket of heads.keys()) {
        if (bucket >= through) continue;
        visited += this.#drainBucket(bucket, through, budget - visited, table);
        if (visited >= budget) return visited;
      }
    } else {
      for (; this.#from < through; this.#from++) {
        if (!heads.has(this.#from)) continue;
        visited += this.#drainBucket(this.#from, through, budget - visited, table);
        if (visited >= budget) return visited;
      }
    }
    if (through > this.#from) this.#from = through;
    return visited;
  }

  #drainBucket(bucket: number, through: number, budget: number, table: Prunable): number {
    let head = this.#heads.get(bucket) as number;
    let visited = 0;
    for (;;) {
      const slab = this.#slabs[head >>> SLAB_SHIFT] as Int32Array;
      const base = (head & SLAB_MASK) * CHUNK;
      let count = slab[base + 1] as number;
      while (count > 0 && visited < budget) {
        count--;
        table.pruneKey(slab[base + 2 + count] as number, through);
        visited++;
      }
      slab[base + 1] = count;
      if (count > 0) return visited;
      const next = slab[base] as number;
      this.#release(head);
      if (next < 0) {
        this.#heads.delete(bucket);
        return visited;
      }
      head = next;
      this.#heads.set(bucket, head);
      if (visited >= budget) return visited;
    }
  }

  #count(chunk: number): number {
    return (this.#slabs[chunk >>> SLAB_SHIFT] as Int32Array)[(chunk & SLAB_MASK) * CHUNK + 1] as number;
  }

  #allocate(next: number): number {
    let chunk = this.#free;
    if (chunk >= 0) {
      this.#free = (this.#slabs[chunk >>> SLAB_SHIFT] as Int32Array)[(chunk & SLAB_MASK) * CHUNK] as number;
    } else {
      chunk = this.#chunks++;
      if (chunk >>> SLAB_SHIFT >= this.#slabs.length) this.#slabs.push(new Int32Array(SLAB_CHUNKS * CHUNK));
    }
    const slab = this.#slabs[chunk >>> SLAB_SHIFT] as Int32Array;
    const base = (chunk & SLAB_MASK) * CHUNK;
    slab[base] = next;
    slab[base + 1] = 0;
    return chunk;
  }

  #release(chunk: number): void {
    (this.#slabs[chunk >>> SLAB_SHIFT] as Int32Array)[(chunk & SLAB_MASK) * CHUNK] = this.#free;
    this.#free = chunk;
  }
}
