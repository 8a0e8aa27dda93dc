import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { DifferenceKind, DurabilityMetrics, ReconcileResult } from '../metrics/durability-metrics.js';
import type { OutboxPublisher } from './outbox-publisher.js';
import type { Tables } from './postgres/migrations.js';
import { inSnapshot, readChanges, readEntries, readLastOffset, readPublication } from './postgres/record-reader.js';
import type { ProjectedEntry, RedisProjection } from './redis-projection.js';

export interface ReconcilerOptions {
  readonly pool: Pool;
  readonly tables: Tables;
  readonly projection: RedisProjection;
  readonly publisher: OutboxPublisher;
  readonly logger: Logger;
  readonly metrics: DurabilityMetrics;
  readonly intervalMs: number;
  readonly clock: () => number;
}

/** What one reconciliation found. */
export interface ReconcileReport {
  readonly result: ReconcileResult;
  readonly missing: number;
  readonly extra: number;
  readonly mismatched: number;
}

const SAMPLE = 5;

/**
 * Compares Redis with the record and re-seeds Redis when they differ. The
 * outbox keeps them equal in normal operation; this catches what it cannot
 * see, such as keys changed or lost without the offset moving. A live
 * revocation only Redis holds (`extra`, or wider in Redis) is not wiped: the
 * re-seed adopts it into the record first (see OutboxPublisher.reseed).
 *
 * Redis is read at one instant (offset O), the record in one snapshot
 * (offset S >= O). The record's changes after O are replayed onto what Redis
 * held, so both sides are compared as of S while writes go on.
 */
export class Reconciler {
  readonly #options: ReconcilerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<ReconcileReport> | undefined;

  constructor(options: ReconcilerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.run(), this.#options.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Runs one reconciliation (or joins the one in progress). Never rejects. */
  run(): Promise<ReconcileReport> {
    this.#running ??= this.#reconcile()
      .catch((err: unknown) => {
        this.#options.logger.warn({ err }, 'reconciliation failed; will retry');
        return { result: 'failed', missing: 0, extra: 0, mismatched: 0 } as const;
      })
      .then((report) => {
        this.#options.metrics.reconciled(report.result);
        return report;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #reconcile(): Promise<ReconcileReport> {
    const { pool, tables, projection, publisher, logger, metrics, clock } = this.#options;
    const skipped = { result: 'skipped', missing: 0, extra: 0, mismatched: 0 } as const;
    const publication = await readPublication(pool, tables);
    const redis = await projection.readAll();
    // Another history, or none: the outbox re-seeds that on its own.
    if (redis.epoch === null || redis.epoch !== publication.epoch) return skipped;
    const record = await inSnapshot(pool, async (snapshot) => {
      const offset = await readLastOffset(snapshot, tables);
      if (offset < redis.offset) return undefined;
      const entries = new Map<string, ProjectedEntry>();
      for await (const page of readEntries(snapshot, tables)) for (const [member, entry] of page) entries.set(member, entry);
      return { entries, changes: await readChanges(snapshot, tables, redis.offset, Number.MAX_SAFE_INTEGER, offset) };
    });
    if (record === undefined) return skipped;

    // Redis as it will be once the outbox has delivered what the snapshot holds.
    const expected = redis.entries;
    for (const change of record.changes) {
      if (change.pruneAt === null) expected.delete(change.member);
      else
        expected.set(
          change.member,
          change.cutoff === null ? { pruneAt: change.pruneAt } : { pruneAt: change.pruneAt, cutoff: change.cutoff },
        );
    }
    // Expired entries are pruned on each side on its own schedule; they decide nothing.
    const now = clock();
    const found: Record<DifferenceKind, string[]> = { missing: [], extra: [], mismatched: [] };
    for (const [member, entry] of record.entries) {
      if (entry.pruneAt <= now) continue;
      const held = expected.get(member);
      if (held === undefined) found.missing.push(member);
      else if (held.pruneAt !== entry.pruneAt || held.cutoff !== entry.cutoff) found.mismatched.push(member);
    }
    for (const [member, entry] of expected) {
      if (entry.pruneAt > now && !record.entries.has(member)) found.extra.push(member);
    }
    const counts = { missing: found.missing.length, extra: found.extra.length, mismatched: found.mismatched.length };
    if (counts.missing + counts.extra + counts.mismatched === 0) return { result: 'consistent', ...counts };

    for (const kind of ['missing', 'extra', 'mismatched'] as const) if (counts[kind] > 0) metrics.differences(kind, counts[kind]);
    logger.warn(
      { ...counts, sample: Object.fromEntries(Object.entries(found).map(([kind, members]) => [kind, members.slice(0, SAMPLE)])) },
      'Redis differs from the record; re-seeding it',
    );
    await publisher.reseed('reconcile', true);
    return { result: 'repaired', ...counts };
  }
}
