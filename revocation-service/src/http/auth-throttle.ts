import { isIPv6 } from 'node:net';
import type { RateLimit } from './rate-limiter.js';

/** Default budget of failed authentications per client address. */
export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimit = { requests: 10, perMs: 60_000 };
/** Addresses tracked at once; past this the oldest is forgotten, so a spray of addresses cannot grow memory without bound. */
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Whether the over-budget log line was written since the address last had budget. */
  reported: boolean;
}

/**
 * The address failures are counted under: an IPv4 address, or the /64 of an
 * IPv6 address (one host commonly holds a whole /64). IPv4-mapped IPv6
 * addresses count as their IPv4 address.
 */
export function clientOf(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (address.startsWith('::ffff:') && !isIPv6(address.slice(7))) return address.slice(7);
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const groups = [...head.split(':').filter(Boolean)];
  const rest = tail.split(':').filter(Boolean);
  while (groups.length + rest.length < 8) groups.push('0');
  return `${[...groups, ...rest].slice(0, 4).join(':')}::/64`;
}

/**
 * Counts failed admin authentications (a wrong API key, a wrong console
 * sign-in) per client address, as a token bucket in this process. Only
 * failures spend budget, and a valid key is checked before the budget, so
 * an attacker's failures never lock a valid key out: the throttle answers
 * failures past the budget with 429, which slows and flags the guessing
 * rather than deciding it (a guessable key is refused at start).
 */
export class AuthThrottle {
  readonly #limit: RateLimit | undefined;
  readonly #clock: () => number;
  readonly #onOverBudget: (client: string) => void;
  readonly #buckets = new Map<string, Bucket>();

  /** `onOverBudget` runs once each time a client first runs out of budget (for the log line). */
  constructor(limit: RateLimit | undefined, clock: () => number, onOverBudget: (client: string) => void) {
    this.#limit = limit;
    this.#clock = clock;
    this.#onOverBudget = onOverBudget;
  }

  /** Records one failure from `client`: 0 while within budget, else the milliseconds until the next failure is. */
  fail(client: string): number {
    const limit = this.#limit;
    if (limit === undefined) return 0;
    const now = this.#clock();
    let bucket = this.#buckets.get(client);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_CLIENTS) this.#buckets.delete(this.#buckets.keys().next().value as string);
      bucket = { tokens: limit.requests, updatedAt: now, reported: false };
      this.#buckets.set(client, bucket);
    }
    bucket.tokens = Math.min(limit.requests, bucket.tokens + ((now - bucket.updatedAt) * limit.requests) / limit.perMs);
    bucket.updatedAt = now;
    // Logged again only once the client has let its whole budget come back.
    if (bucket.tokens >= limit.requests) bucket.reported = false;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    if (!bucket.reported) {
      bucket.reported = true;
      this.#onOverBudget(client);
    }
    return Math.ceil(((1 - bucket.tokens) * limit.perMs) / limit.requests);
  }
}
