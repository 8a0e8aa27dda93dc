import { isIPv6 } from 'node:net';
import type { TokenBuckets } from '../admin-state/token-buckets.js';
import type { RateLimit } from './rate-limiter.js';

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
 * sign-in) per client address, as a token bucket (in Redis when the service
 * runs on Redis, so the budget is one for all replicas). Only failures spend
 * budget, and a valid key is checked before the budget, so an attacker's
 * failures never lock a valid key out: the throttle answers failures past
 * the budget with 429, which slows and flags the guessing rather than
 * deciding it (a guessable key is refused at start).
 */
export class AuthThrottle {
  readonly #limit: RateLimit | undefined;
  readonly #buckets: TokenBuckets;
  readonly #onOverBudget: (client: string) => void;

  /** `onOverBudget` runs once each time a client first runs out of budget (for the log line). */
  constructor(limit: RateLimit | undefined, buckets: TokenBuckets, onOverBudget: (client: string) => void) {
    this.#limit = limit;
    this.#buckets = buckets;
    this.#onOverBudget = onOverBudget;
  }

  /** Records one failure from `client`: 0 while within budget, else the milliseconds until the next failure is. */
  async fail(client: string): Promise<number> {
    if (this.#limit === undefined) return 0;
    const { waitMs, firstRefusal } = await this.#buckets.take('authFailures', client, this.#limit);
    // Logged again only once the client has let its whole budget come back.
    if (firstRefusal) this.#onOverBudget(client);
    return waitMs;
  }
}
