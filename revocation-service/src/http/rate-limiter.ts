/** At most `requests` per `perMs`, in bursts of up to `requests`. */
export interface RateLimit {
  readonly requests: number;
  readonly perMs: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * One token bucket per admin key, in this process: a key may spend its whole
 * allowance at once, then earns it back evenly. With several service
 * instances each enforces the limit on its own.
 */
export class RateLimiter {
  readonly #limits: ReadonlyMap<string, RateLimit>;
  readonly #buckets = new Map<string, Bucket>();
  readonly #clock: () => number;

  constructor(limits: ReadonlyMap<string, RateLimit>, clock: () => number = Date.now) {
    this.#limits = limits;
    this.#clock = clock;
  }

  /** Spends one request of `name`: 0 when allowed, else the milliseconds until one is. */
  take(name: string): number {
    const limit = this.#limits.get(name);
    if (limit === undefined) return 0;
    const now = this.#clock();
    const bucket = this.#buckets.get(name) ?? { tokens: limit.requests, updatedAt: now };
    bucket.tokens = Math.min(limit.requests, bucket.tokens + ((now - bucket.updatedAt) * limit.requests) / limit.perMs);
    bucket.updatedAt = now;
    this.#buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * limit.perMs) / limit.requests);
  }
}
