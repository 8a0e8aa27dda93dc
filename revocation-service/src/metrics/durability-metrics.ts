import { Counter, Gauge, type Registry } from 'prom-client';

/** Why Redis was re-seeded from the record. */
export type ReseedReason =
  | 'first-start'
  | 'redis-empty'
  | 'epoch-changed'
  | 'offset-regressed'
  | 'ahead-of-record'
  | 'history-trimmed'
  | 'reconcile';

/** How a reconciliation run ended. */
export type ReconcileResult = 'consistent' | 'repaired' | 'skipped' | 'failed';

/** A difference between the record and Redis. */
export type DifferenceKind = 'missing' | 'extra' | 'mismatched';

/** The instruments of the durable store (PostgreSQL record, Redis projection). */
export interface DurabilityMetrics {
  reseeded(reason: ReseedReason): void;
  reconciled(result: ReconcileResult): void;
  differences(kind: DifferenceKind, count: number): void;
  publishFailed(): void;
  /** Revocations adopted into the record from Redis, where a writer that bypassed the record made them. */
  adopted(count: number): void;
  /** Changes committed to the record that Redis does not hold yet. */
  unpublished(count: number): void;
}

/** Registers the durability metrics on `registry`. */
export function createDurabilityMetrics(registry: Registry): DurabilityMetrics {
  const registers = [registry];
  const reseeds = new Counter({
    name: 'revocast_redis_reseeds_total',
    help: 'Times Redis was re-seeded from the record under a new epoch, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const runs = new Counter({
    name: 'revocast_reconcile_runs_total',
    help: 'Reconciliations of Redis against the record, by result.',
    labelNames: ['result'] as const,
    registers,
  });
  const differences = new Counter({
    name: 'revocast_reconcile_differences_total',
    help: 'Entries found different between the record and Redis, by kind (missing, extra, mismatched).',
    labelNames: ['kind'] as const,
    registers,
  });
  const publishFailures = new Counter({
    name: 'revocast_publish_failures_total',
    help: 'Outbox passes that could not publish to Redis; each is retried.',
    registers,
  });
  const adopted = new Counter({
    name: 'revocast_redis_adopted_total',
    help: 'Live revocations found in Redis but not in the record, adopted into the record before a re-seed (a writer bypassed the record: alert on any).',
    registers,
  });
  const unpublished = new Gauge({
    name: 'revocast_outbox_unpublished',
    help: 'Changes committed to the record that Redis did not hold at the last outbox pass.',
    registers,
  });
  return {
    reseeded: (reason) => reseeds.inc({ reason }),
    reconciled: (result) => runs.inc({ result }),
    differences: (kind, count) => differences.inc({ kind }, count),
    publishFailed: () => publishFailures.inc(),
    adopted: (count) => adopted.inc(count),
    unpublished: (count) => unpublished.set(count),
  };
}
