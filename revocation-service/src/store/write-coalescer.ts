/** How far writes are coalesced (see {@link WriteCoalescer}). */
export interface CoalesceOptions {
  /** Most changes one write carries: calls queue until the next write has room. Default 1000. */
  readonly maxItems?: number;
  /** Longest a queued call waits for the write in flight before it goes out anyway (ms). Default 5. */
  readonly maxWaitMs?: number;
}

export const COALESCE_DEFAULTS: Required<CoalesceOptions> = { maxItems: 1000, maxWaitMs: 5 };

/** What one write answers to one of the calls it carried: its own result, or its own error. */
export type WriteOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * Runs the groups of one write, in order, and answers each; rejecting fails
 * every call it carried (the store could not be reached).
 */
export type WriteRunner<G, R> = (groups: readonly G[]) => Promise<ReadonlyArray<WriteOutcome<R>>>;

interface Queued<G, R> {
  readonly group: G;
  readonly size: number;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent writes: a call made while no write is in flight goes
 * out at once (an idle service adds no latency); calls made while one is in
 * flight queue, and go out together as one write when it returns, so under a
 * burst the number of writes (and of messages every verifier receives) stays
 * about one per round trip whatever the rate. A queued call waits at most
 * `maxWaitMs`, and one write carries at most `maxItems` changes (a group is
 * never split: one larger than that goes alone).
 *
 * Calls keep their order: the groups of a write run in the order they were
 * made, and writes go out in order on one connection, which Redis runs in
 * order. Each call gets its own outcome.
 */
export class WriteCoalescer<G, R> {
  readonly #run: WriteRunner<G, R>;
  readonly #sizeOf: (group: G) => number;
  readonly #maxItems: number;
  readonly #maxWaitMs: number;
  #queue: Array<Queued<G, R>> = [];
  #queuedItems = 0;
  #inFlight = 0;
  #flushQueued = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(run: WriteRunner<G, R>, sizeOf: (group: G) => number, options: CoalesceOptions = {}) {
    this.#run = run;
    this.#sizeOf = sizeOf;
    this.#maxItems = options.maxItems ?? COALESCE_DEFAULTS.maxItems;
    this.#maxWaitMs = options.maxWaitMs ?? COALESCE_DEFAULTS.maxWaitMs;
    if (!Number.isSafeInteger(this.#maxItems) || this.#maxItems < 1)
      throw new RangeError('coalesce.maxItems must be a whole number of at least 1');
    if (!Number.isFinite(this.#maxWaitMs) || this.#maxWaitMs < 0)
      throw new RangeError('coalesce.maxWaitMs must be a number of milliseconds, 0 or more');
  }

  /** Writes `group` with whatever else is queued; resolves with its own result. */
  submit(group: G): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const size = this.#sizeOf(group);
      this.#queue.push({ group, size, resolve, reject });
      this.#queuedItems += size;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#queue.length === 0) return;
    if (this.#inFlight === 0 || this.#queuedItems >= this.#maxItems) {
      // Idle (or a full write is waiting): go now. After this turn's other calls, which then go along at no cost.
      if (this.#flushQueued) return;
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.#flush();
      });
      return;
    }
    // Busy: wait for the write in flight to return, but not longer than the bound.
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#maxWaitMs);
    this.#timer.unref();
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    let count = 0;
    let items = 0;
    for (const queued of this.#queue) {
      if (count > 0 && items + queued.size > this.#maxItems) break;
      count++;
      items += queued.size;
    }
    const taken = this.#queue.splice(0, count);
    this.#queuedItems -= items;
    this.#inFlight++;
    void (async () => {
      try {
        const outcomes = await this.#run(taken.map((queued) => queued.group));
        taken.forEach((queued, i) => {
          const outcome = outcomes[i];
          if (outcome === undefined) queued.reject(new Error('the write answered fewer calls than it carried'));
          else if (outcome.ok) queued.resolve(outcome.value);
          else queued.reject(outcome.error);
        });
      } catch (err) {
        for (const queued of taken) queued.reject(err);
      } finally {
        this.#inFlight--;
        this.#schedule();
      }
    })();
    // What did not fit waits for its turn (or goes now if a full write is left).
    this.#schedule();
  }
}
