import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { clientOf, type AuthThrottle } from './auth-throttle.js';
import { HttpProblem } from './problem.js';
import type { RateLimit, RateLimiter } from './rate-limiter.js';

export type { RateLimit } from './rate-limiter.js';

/** What an admin key may do: `read` lists and watches, `revoke` revokes, `reinstate` lifts revocations. */
export type Scope = 'read' | 'revoke' | 'reinstate';

export const SCOPES: readonly Scope[] = ['read', 'revoke', 'reinstate'];

/** An admin API key: the name goes into the audit log, the secret never does. */
export interface AdminKey {
  readonly name: string;
  readonly secret: string;
  /** What the key may do; every scope when absent. */
  readonly scopes?: readonly Scope[];
  /** Requests it may make; unlimited when absent. */
  readonly rateLimit?: RateLimit;
}

/** Who is calling: the key's name and scopes. */
export interface AdminIdentity {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

/** Why an admin call was refused; the `reason` label of `revocast_admin_rejections_total`. */
export type RejectionReason = 'unauthenticated' | 'forbidden' | 'rate_limited' | 'throttled';

export interface Keyring {
  readonly size: number;
  /** The key whose secret this is, compared in constant time; `undefined` for none. */
  identify(secret: string): AdminIdentity | undefined;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="revocast-admin"' };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Secrets are compared as SHA-256 digests with `timingSafeEqual`, against
 * every key, so neither the length nor the position of a match shows in the
 * timing.
 */
export function createKeyring(keys: readonly AdminKey[]): Keyring {
  const entries = keys.map((key) => ({
    digest: digest(key.secret),
    identity: { name: key.name, scopes: new Set(key.scopes ?? SCOPES) } satisfies AdminIdentity,
  }));
  return {
    size: entries.length,
    identify(secret) {
      const presented = digest(secret);
      let found: AdminIdentity | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(presented, entry.digest) && found === undefined) found = entry.identity;
      }
      return found;
    },
  };
}

/** Spends one request of the key, or throws the 429 answer. */
export async function enforceRateLimit(limiter: RateLimiter, name: string, onReject: (reason: RejectionReason) => void): Promise<void> {
  const waitMs = await limiter.take(name);
  if (waitMs === 0) return;
  onReject('rate_limited');
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  throw new HttpProblem('ERR_RATE_LIMITED', `the admin key "${name}" is over its rate limit; retry in ${seconds} s`, {
    headers: { 'Retry-After': String(seconds) },
  });
}

/**
 * Counts a failed authentication from `address` and throws the answer: 401,
 * or 429 once the address has failed too often (see {@link AuthThrottle}).
 */
export async function refuseAuthentication(
  throttle: AuthThrottle,
  address: string | undefined,
  onReject: (reason: RejectionReason) => void,
  problem: HttpProblem,
): Promise<never> {
  const waitMs = await throttle.fail(clientOf(address));
  if (waitMs === 0) {
    onReject('unauthenticated');
    throw problem;
  }
  onReject('throttled');
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  throw new HttpProblem('ERR_RATE_LIMITED', `too many failed authentications from this address; retry in ${seconds} s`, {
    headers: { 'Retry-After': String(seconds) },
  });
}

/**
 * Requires `Authorization: Bearer <secret>` matching one of the keys, within
 * the key's rate limit, and puts the key's name in `res.locals.actor` and its
 * scopes in `res.locals.scopes`. With no keys configured every call is
 * refused. Wrong keys count against the client address's budget of
 * failures ({@link AuthThrottle}).
 */
export function adminAuth(
  keyring: Keyring,
  limiter: RateLimiter,
  throttle: AuthThrottle,
  onReject: (reason: RejectionReason) => void,
): RequestHandler {
  return async (req, res, next) => {
    if (keyring.size === 0) {
      onReject('unauthenticated');
      throw new HttpProblem('ERR_UNAUTHORIZED', 'the admin API is closed: no admin keys are configured (REVOCAST_ADMIN_KEYS)', {
        headers: CHALLENGE,
      });
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (match === null) {
      onReject('unauthenticated');
      throw new HttpProblem('ERR_UNAUTHORIZED', 'send an admin key as "Authorization: Bearer <secret>"', { headers: CHALLENGE });
    }
    // A valid key passes whatever failures came from the same address: only failures are throttled.
    const identity = keyring.identify(match[1] as string);
    if (identity === undefined) {
      return refuseAuthentication(
        throttle,
        req.ip,
        onReject,
        new HttpProblem('ERR_UNAUTHORIZED', 'the admin key is not valid', { headers: CHALLENGE }),
      );
    }
    await enforceRateLimit(limiter, identity.name, onReject);
    res.locals.actor = identity.name;
    res.locals.scopes = identity.scopes;
    next();
  };
}

/** Throws the 403 answer unless `identity` holds `scope`. */
export function checkScope(
  identity: { name: string; scopes: ReadonlySet<Scope> },
  scope: Scope,
  onReject: (reason: RejectionReason) => void,
): void {
  if (identity.scopes.has(scope)) return;
  onReject('forbidden');
  throw new HttpProblem('ERR_FORBIDDEN', `the admin key "${identity.name}" lacks the "${scope}" scope`);
}

/** Route guard: the key that passed {@link adminAuth} must hold `scope`. */
export function requireScope(scope: Scope, onReject: (reason: RejectionReason) => void): RequestHandler {
  return (_req, res, next) => {
    checkScope({ name: res.locals.actor as string, scopes: res.locals.scopes as ReadonlySet<Scope> }, scope, onReject);
    next();
  };
}
