import type { Logger } from 'pino';
import type { ConsoleSessionStore } from '../console/console-sessions.js';
import { HttpProblem } from '../http/problem.js';
import type { AdminState } from './admin-state.js';
import { MemoryTokenBuckets, type BucketKind, type TokenBuckets } from './token-buckets.js';

/** The `feature` label of `revocast_admin_state_failures_total`. */
export type AdminStateFeature = 'rate_limit' | 'auth_throttle' | 'console_sessions';

const FEATURE_OF: Record<BucketKind, AdminStateFeature> = { rateLimit: 'rate_limit', authFailures: 'auth_throttle' };

export interface FailSafeOptions {
  readonly logger: Logger;
  readonly clock: () => number;
  /** Counts each failed call (the metric). */
  readonly onFailure: (feature: AdminStateFeature) => void;
}

/**
 * What a replica does when the shared admin state does not answer, decided
 * here once per feature:
 *
 * - Rate limits and the failed-authentication throttle fall back to this
 *   replica's own buckets. A Redis blip must not take the admin API down
 *   (revoking is what an incident needs), nor open the gate: each replica
 *   still enforces the limit, so the fleet allows at most N times it.
 * - Console sessions fail closed with a 503 page: a
 *   replica cannot tell a live session from a signed-out one without the
 *   store, and must not honour one that was ended elsewhere.
 *
 * Every failure is counted; the log says when an outage starts and ends,
 * not once per request.
 */
export function failSafeAdminState(state: AdminState, options: FailSafeOptions): { buckets: TokenBuckets; sessions: ConsoleSessionStore } {
  const { logger, onFailure } = options;
  const local = new MemoryTokenBuckets(options.clock);
  const failing = new Set<AdminStateFeature>();
  const failed = (feature: AdminStateFeature, err: unknown, consequence: string) => {
    onFailure(feature);
    if (failing.has(feature)) return;
    failing.add(feature);
    logger.warn({ feature, err }, `shared admin state unavailable: ${consequence}`);
  };
  const recovered = (feature: AdminStateFeature) => {
    if (failing.delete(feature)) logger.info({ feature }, 'shared admin state available again');
  };

  const buckets: TokenBuckets = {
    async take(kind, id, limit) {
      const feature = FEATURE_OF[kind];
      try {
        const take = await state.buckets.take(kind, id, limit);
        recovered(feature);
        return take;
      } catch (err) {
        failed(feature, err, 'this replica enforces the limit with its own buckets until Redis answers');
        return local.takeNow(kind, id, limit);
      }
    },
  };

  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      recovered('console_sessions');
      return result;
    } catch (err) {
      if (err instanceof HttpProblem) throw err;
      failed('console_sessions', err, 'the console answers 503 until Redis answers');
      // The console renders it as its own error page; the code is the store's, as the sessions share its Redis.
      throw new HttpProblem('ERR_STORE_UNAVAILABLE', 'console sessions are unavailable (their store is not answering); try again shortly', {
        headers: { 'Retry-After': '1' },
        cause: err,
      });
    }
  };
  const sessions: ConsoleSessionStore = {
    create: (actor, scopes) => guard(() => state.sessions.create(actor, scopes)),
    get: (id) => guard(() => state.sessions.get(id)),
    setFlash: (id, flash) => guard(() => state.sessions.setFlash(id, flash)),
    takeFlash: (id) => guard(() => state.sessions.takeFlash(id)),
    delete: (id) => guard(() => state.sessions.delete(id)),
  };
  return { buckets, sessions };
}
