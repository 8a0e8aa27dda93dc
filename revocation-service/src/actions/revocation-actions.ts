import type { Logger } from 'pino';
import type { RevocationType } from '@revocast/verifier-sdk/protocol';
import { waitForVerifiers, type Propagation } from '../fleet/wait-for-verifiers.js';
import type { VerifierFleet } from '../fleet/verifier-fleet.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { planRevocation, type RevocationInput, type RevocationRecord } from '../model/revocation.js';
import type { BatchRevokeResult, RevocationStore } from '../store/revocation-store.js';

export interface RevocationActionsDeps {
  readonly store: RevocationStore;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly maxTokenTtlMs: number;
  readonly clock: () => number;
  /** Needed only to wait for propagation. */
  readonly fleet?: VerifierFleet;
}

/** `wait=all`: answer once every live verifier has applied the change, or after `timeoutMs`. */
export interface WaitRequest {
  readonly timeoutMs: number;
}

export interface RevokeOutcome {
  readonly record: RevocationRecord;
  readonly changed: boolean;
  readonly propagation?: Propagation;
}

export interface ReinstateOutcome {
  readonly record: RevocationRecord;
  readonly offset: number;
  readonly propagation?: Propagation;
}

export interface BatchRevokeOutcome extends BatchRevokeResult {
  readonly propagation?: Propagation;
}

export interface RevocationActions {
  /** True when changes can wait for propagation. */
  readonly canWait: boolean;
  revoke(input: RevocationInput, actor: string, wait?: WaitRequest): Promise<RevokeOutcome>;
  /** All or nothing; waits (when asked) for the last offset of the batch. */
  revokeBatch(inputs: readonly RevocationInput[], actor: string, wait?: WaitRequest): Promise<BatchRevokeOutcome>;
  /** `null` when there was nothing to reinstate. */
  reinstate(type: RevocationType, id: string, actor: string, reason?: string, wait?: WaitRequest): Promise<ReinstateOutcome | null>;
}

/**
 * Revoke and reinstate as every entry point does them (the API, the OAuth
 * revocation endpoint, the console): record, count, audit and, when asked,
 * wait for the verifiers.
 */
export function createRevocationActions(deps: RevocationActionsDeps): RevocationActions {
  const { store, logger, metrics, maxTokenTtlMs, clock, fleet } = deps;

  async function propagate(
    offset: number | undefined,
    since: number,
    wait: WaitRequest | undefined,
  ): Promise<{ propagation?: Propagation }> {
    if (wait === undefined || fleet === undefined || offset === undefined) return {};
    let propagation: Propagation;
    try {
      propagation = await waitForVerifiers(fleet, offset, { timeoutMs: wait.timeoutMs, since });
    } catch (err) {
      // The change is recorded either way: say the wait failed rather than fail the request.
      logger.warn({ err, offset }, 'could not wait for the verifiers');
      const ms = Math.round(performance.now() - since);
      return {
        propagation: {
          applied: 0,
          total: 0,
          ms,
          complete: false,
          pending: [],
          message: `recorded, but the verifiers could not be asked (${(err as Error).message})`,
        },
      };
    }
    metrics.propagationWaits.inc({ outcome: propagation.complete ? 'complete' : 'timeout' });
    metrics.propagationWaitDuration.observe(propagation.ms / 1000);
    return { propagation };
  }

  return {
    canWait: fleet !== undefined,
    async revoke(input, actor, wait) {
      const now = clock();
      const plan = planRevocation(input, { now, maxTokenTtlMs, actor });
      const stopTimer = metrics.publishDuration.startTimer({ op: 'revoke' });
      const { record, changed } = await store.revoke(plan, { actor, now });
      stopTimer();
      const since = performance.now();
      if (changed) {
        metrics.changes.inc({ type: record.type, op: 'revoke' });
        logger.info(
          { audit: { action: 'revoke', actor, type: record.type, id: record.id, reason: record.reason, offset: record.offset } },
          'revocation recorded',
        );
      }
      return { record, changed, ...(await propagate(record.offset, since, wait)) };
    },
    async revokeBatch(inputs, actor, wait) {
      const now = clock();
      const plans = inputs.map((input) => planRevocation(input, { now, maxTokenTtlMs, actor }));
      const stopTimer = metrics.publishDuration.startTimer({ op: 'revoke-batch' });
      const result = await store.revokeBatch(plans, { actor, now });
      stopTimer();
      const since = performance.now();
      for (const { record, changed } of result.results) {
        if (!changed) continue;
        metrics.changes.inc({ type: record.type, op: 'revoke' });
        logger.info(
          {
            audit: { action: 'revoke', actor, type: record.type, id: record.id, reason: record.reason, offset: record.offset, batch: true },
          },
          'revocation recorded',
        );
      }
      return { ...result, ...(await propagate(result.offsets?.last, since, wait)) };
    },
    async reinstate(type, id, actor, reason, wait) {
      const now = clock();
      const stopTimer = metrics.publishDuration.startTimer({ op: 'reinstate' });
      const result = await store.reinstate(type, id, { actor, now });
      stopTimer();
      const since = performance.now();
      if (result === null) return null;
      metrics.changes.inc({ type, op: 'reinstate' });
      logger.info({ audit: { action: 'reinstate', actor, type, id, reason, offset: result.offset } }, 'revocation reinstated');
      return { ...result, ...(await propagate(result.offset, since, wait)) };
    },
  };
}
