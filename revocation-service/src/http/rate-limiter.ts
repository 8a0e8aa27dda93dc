import type { TokenBuckets } from '../admin-state/token-buckets.js';

/** At most `requests` per `perMs`, in bursts of up to `requests`. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

/**
 * One token bucket per admin key: a key may spend its whole allowance at
 * once, then earns it back evenly. The buckets are in Redis when the service
 * runs on Redis, so every replica spends from the same one.
 */
export class RateLimiter {
  readonly #limits: ReadonlyMap<string, RateLimit>;
  readonly #buckets: TokenBuckets;

  constructor(limits: ReadonlyMap<string, RateLimit>, buckets: TokenBuckets) {
    this.#limits = limits;
    this.#buckets = buckets;
  }

  /** Spends one request of `name`: 0 when allowed, else the milliseconds until one is. */
  async take(name: string): Promise<number> {
    const limit = this.#limits.get(name);
    if (limit === undefined) return 0;
    return (await this.#buckets.take('rateLimit', name, limit)).waitMs;
  }
}
