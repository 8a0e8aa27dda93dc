import type { RateLimit } from '../http/rate-limiter.js';

/** What a bucket counts: an admin key's requests, or a client address's failed authentications. */
export type BucketKind = 'rateLimit' | 'authFailures';

/** The answer to spending one token. */
export interface BucketTake {
  /** 0 when the token was there, else the milliseconds until one is. */
  readonly waitMs: number;
  /** The first refusal since the bucket was last full: the moment to write one log line. */
  readonly firstRefusal: boolean;
}

/**
 * Token buckets: at most `limit.requests` per `limit.perMs`, in bursts of up
 * to `limit.requests`. In this process ({@link MemoryTokenBuckets}) or in
 * Redis, shared by every replica (`redis-token-buckets.ts`); both follow
 * {@link spendToken}, and a contract test feeds both the same sequences.
 */
export interface TokenBuckets {
  take(kind: BucketKind, id: string, limit: RateLimit): Promise<BucketTake>;
}

export interface BucketState {
  readonly tokens: number;
  readonly updatedAt: number;
  /** Whether the first refusal was reported since the bucket was last full. */
  readonly reported: boolean;
}

/**
 * The bucket rule, written once here (the Lua copy in
 * `redis-token-buckets.ts` does the same arithmetic in the same order): a
 * missing bucket is full; tokens come back evenly; a clock that went back
 * (another replica's) earns nothing rather than taking tokens away.
 */
export function spendToken(state: BucketState | undefined, limit: RateLimit, now: number): { state: BucketState; take: BucketTake } {
  const updatedAt = state === undefined ? now : Math.max(state.updatedAt, now);
  const elapsed = state === undefined ? 0 : updatedAt - state.updatedAt;
  const tokens = Math.min(limit.requests, (state?.tokens ?? limit.requests) + (elapsed * limit.requests) / limit.perMs);
  const reported = tokens >= limit.requests ? false : (state?.reported ?? false);
  if (tokens >= 1) return { state: { tokens: tokens - 1, updatedAt, reported }, take: { waitMs: 0, firstRefusal: false } };
  const waitMs = Math.ceil(((1 - tokens) * limit.perMs) / limit.requests);
  return { state: { tokens, updatedAt, reported: true }, take: { waitMs, firstRefusal: !reported } };
}

/** Buckets tracked at once; past this the oldest is forgotten, so a spray of addresses cannot grow memory without bound. */
const MAX_BUCKETS = 10_000;

/** Token buckets in this process: with several replicas each enforces its own. */
export class MemoryTokenBuckets implements TokenBuckets {
  readonly #buckets = new Map<string, BucketState>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  take(kind: BucketKind, id: string, limit: RateLimit): Promise<BucketTake> {
    return Promise.resolve(this.takeNow(kind, id, limit));
  }

  /** The same as {@link take}, without the promise. */
  takeNow(kind: BucketKind, id: string, limit: RateLimit): BucketTake {
    const key = `${kind}\0${id}`;
    const current = this.#buckets.get(key);
    if (current === undefined && this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value as string);
    const { state, take } = spendToken(current, limit, this.#clock());
    this.#buckets.set(key, state);
    return take;
  }
}
