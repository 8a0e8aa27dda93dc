import { Counter, Gauge, type Registry } from 'prom-client';
import type { RevocationReason } from '../errors.js';
import type { RevocationType } from '../protocol/index.js';
import type { ReloadReason } from '../sync/sync-engine.js';

/** Why a check rejected a token; the `reason` label of `revocast_verifier_checks_total`. */
export type RejectReason = RevocationReason | 'expired' | 'invalid' | 'stale';

/** What the metrics read from the verifier when Prometheus scrapes. */
export interface MetricsView {
  counts(): Record<RevocationType, number>;
  appliedOffset(): number;
  lastConfirmedAt(): number;
  stale(): boolean;
  clock(): number;
}

/** The verifier's instruments. Without a registry every method is a no-op. */
export interface VerifierMetrics {
  accepted(): void;
  /** Accepted while stale, because the verifier fails open. */
  acceptedStale(): void;
  rejected(reason: RejectReason): void;
  catchUp(): void;
  reload(reason: ReloadReason): void;
  syncError(): void;
  invalidMessage(): void;
  /** A change in the history that cannot be decoded; counted once per change, not per attempt. */
  undecodableChange(): void;
  becameStale(): void;
}

const noop = (): void => {};

export const NO_METRICS: VerifierMetrics = {
  accepted: noop,
  acceptedStale: noop,
  rejected: noop,
  catchUp: noop,
  reload: noop,
  syncError: noop,
  invalidMessage: noop,
  undecodableChange: noop,
  becameStale: noop,
};

const REJECT_REASONS: readonly RejectReason[] = ['jti', 'subject', 'session', 'expired', 'invalid', 'stale'];

/**
 * Registers the verifier metrics on `registry`. Label children are bound once
 * here, so counting a check on the hot path is a property read and an add.
 */
export function createVerifierMetrics(registry: Registry, view: MetricsView): VerifierMetrics {
  const registers = [registry];
  for (const name of ['revocast_verifier_checks_total', 'revocast_verifier_entries']) {
    if (registry.getSingleMetric(name) !== undefined) {
      throw new Error(`${name} is already registered: give each verifier its own prom-client registry`);
    }
  }
  const checks = new Counter({
    name: 'revocast_verifier_checks_total',
    help: 'Tokens checked, by result and reason (reason is "none" for accepted tokens).',
    labelNames: ['result', 'reason'] as const,
    registers,
  });
  const accepted = checks.labels('accepted', 'none');
  const acceptedStale = checks.labels('accepted', 'stale');
  const rejected = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, checks.labels('rejected', reason)])) as Record<
    RejectReason,
    { inc(): void }
  >;

  new Gauge({
    name: 'revocast_verifier_entries',
    help: 'Live revocations in the local list, by type.',
    labelNames: ['type'] as const,
    registers,
    collect() {
      for (const [type, count] of Object.entries(view.counts())) this.set({ type }, count);
    },
  });
  new Gauge({
    name: 'revocast_verifier_applied_offset',
    help: 'Offset of the last change applied to the local list.',
    registers,
    collect() {
      this.set(view.appliedOffset());
    },
  });
  new Gauge({
    name: 'revocast_verifier_sync_age_seconds',
    help: 'Seconds since the local list was last confirmed current.',
    registers,
    collect() {
      const age = (view.clock() - view.lastConfirmedAt()) / 1000;
      this.set(Number.isFinite(age) ? age : -1);
    },
  });
  new Gauge({
    name: 'revocast_verifier_stale',
    help: '1 while the local list is older than maxStaleness, else 0.',
    registers,
    collect() {
      this.set(view.stale() ? 1 : 0);
    },
  });
  const staleTransitions = new Counter({
    name: 'revocast_verifier_stale_transitions_total',
    help: 'Times the local list became stale.',
    registers,
  });
  const catchUps = new Counter({
    name: 'revocast_verifier_catchups_total',
    help: 'Catch-ups that read missed changes from the stream.',
    registers,
  });
  const reloads = new Counter({
    name: 'revocast_verifier_reloads_total',
    help: 'Full snapshot loads, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const syncErrors = new Counter({
    name: 'revocast_verifier_sync_errors_total',
    help: 'Sync attempts that failed (Redis unreachable, timed out, ...); each is retried.',
    registers,
  });
  const invalidMessages = new Counter({
    name: 'revocast_verifier_invalid_messages_total',
    help: 'Channel messages that could not be decoded.',
    registers,
  });
  const undecodableChanges = new Counter({
    name: 'revocast_verifier_undecodable_changes_total',
    help: 'Changes in the revocation stream that could not be decoded, each counted once; the verifier stops before such a change and turns stale.',
    registers,
  });

  return {
    accepted: () => accepted.inc(),
    acceptedStale: () => acceptedStale.inc(),
    rejected: (reason) => rejected[reason].inc(),
    catchUp: () => catchUps.inc(),
    reload: (reason) => reloads.inc({ reason }),
    syncError: () => syncErrors.inc(),
    invalidMessage: () => invalidMessages.inc(),
    undecodableChange: () => undecodableChanges.inc(),
    becameStale: () => staleTransitions.inc(),
  };
}
