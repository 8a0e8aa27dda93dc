import pg, { type Pool } from 'pg';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { RedisClient } from '@revocast/verifier-sdk';
import { encodeChange, memberOf, type RevocationType } from '@revocast/verifier-sdk/protocol';
import { createDurabilityMetrics, type DurabilityMetrics } from '../metrics/durability-metrics.js';
import type { RevocationPlan, RevocationRecord } from '../model/revocation.js';
import { OutboxPublisher } from './outbox-publisher.js';
import { migrate, tables, type Tables } from './postgres/migrations.js';
import { Reconciler, type ReconcileReport } from './reconciler.js';
import { RedisProjection } from './redis-projection.js';
import { ID_CONSTRAINTS } from './postgres/sql-id-rule.js';
import {
  InvalidIdError,
  StoreUnavailableError,
  checkId,
  checkPlanIds,
  decodeCursor,
  encodeCursor,
  type ChangeContext,
  type ListPage,
  type ListQuery,
  type BatchRevokeResult,
  type ReinstateResult,
  type RevocationStore,
  type RevokeResult,
} from './revocation-store.js';
import { DEFAULTS } from '../config/defaults.js';

export interface PostgresStoreOptions {
  /** PostgreSQL connection string (`postgres://…`) or a pg pool (not closed by the store). */
  readonly database: string | Pool;
  /** Schema holding the tables; created if missing. Default {@link DEFAULTS.databaseSchema} (`"revocast"`). */
  readonly schema?: string;
  /** Redis URL (standalone, `redis+sentinel://` or `redis+cluster://`) or an ioredis client (not closed by the store). */
  readonly redis: string | RedisClient;
  readonly keyPrefix: string;
  readonly maxTokenTtlMs: number;
  readonly retentionGraceMs: number;
  readonly logger: Logger;
  /** Registry for the durability metrics (re-seeds, reconciliation, outbox). */
  readonly registry?: Registry;
  /** How often the outbox looks for unpublished changes and for a Redis that lost data. Default {@link DEFAULTS.outboxIntervalMs} (1 s). */
  readonly outboxIntervalMs?: number;
  /** How often Redis is compared with the record. Default {@link DEFAULTS.reconcileIntervalMs} (1 min). */
  readonly reconcileIntervalMs?: number;
  /** How long a change waits for Redis before it is answered anyway (it is committed; the outbox delivers it). Default {@link DEFAULTS.publishWaitMs} (1 s). */
  readonly publishWaitMs?: number;
  /**
   * Coalesced delivery: each outbox pass publishes the changes it applies
   * in one script call as one message (a batch message for two or more),
   * so a burst of changes reaches verifiers in a few messages rather than
   * one per change. Default true; `false` publishes one message per change.
   */
  readonly coalesce?: boolean;
  /** Redis command timeout. Default {@link DEFAULTS.redisCommandTimeoutMs} (3 s). */
  readonly commandTimeoutMs?: number;
  readonly clock?: () => number;
}

interface RecordRow {
  record: RevocationRecord;
}

interface ChangeRow {
  applied: boolean;
  stored: RevocationRecord | null;
  /** bigint, as text. */
  assigned: string | null;
}

const PRUNE_BATCH = 1000;

/**
 * The durable store: PostgreSQL is the record, Redis a projection that
 * verifiers read. A change is committed to PostgreSQL with the next offset
 * and written to the outbox in the same transaction; only then is it
 * acknowledged. The outbox publisher feeds Redis in offset order and
 * re-seeds it from the record whenever Redis lost data; a periodic
 * reconciliation repairs any other difference.
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ database: process.env.DATABASE_URL, redis: process.env.REDIS_URL, keyPrefix: 'revocast',
 *   maxTokenTtlMs: 86_400_000, retentionGraceMs: 300_000, logger });
 * await store.ready();
 * const app = createApp({ store, adminKeys, logger, maxTokenTtl: 86400 });
 * ```
 */
export class PostgresStore implements RevocationStore {
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #tables: Tables;
  readonly #projection: RedisProjection;
  readonly #publisher: OutboxPublisher;
  readonly #reconciler: Reconciler;
  readonly #options: PostgresStoreOptions;
  readonly #clock: () => number;
  #ready: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: PostgresStoreOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#tables = tables(options.schema ?? DEFAULTS.databaseSchema);
    if (typeof options.database === 'string') {
      const pool = DEFAULTS.postgres;
      this.#pool = new pg.Pool({
        connectionString: options.database,
        max: pool.maxConnections,
        connectionTimeoutMillis: pool.connectionTimeoutMs,
        query_timeout: pool.queryTimeoutMs,
        // A change waits at most this long for the history lock, and a crashed
        // transaction cannot hold it for long: both end as a 503, not a hang.
        options: `-c lock_timeout=${pool.lockTimeoutMs} -c idle_in_transaction_session_timeout=${pool.idleInTransactionTimeoutMs}`,
        application_name: 'revocast-service',
      });
      this.#ownsPool = true;
    } else {
      this.#pool = options.database;
      this.#ownsPool = false;
    }
    // An idle connection that breaks (PostgreSQL restarted) is dropped from the pool, not thrown.
    this.#pool.on('error', () => {});
    const metrics: DurabilityMetrics = createDurabilityMetrics(options.registry ?? new Registry());
    this.#projection = new RedisProjection({
      redis: options.redis,
      keyPrefix: options.keyPrefix,
      maxTokenTtlMs: options.maxTokenTtlMs,
      retentionGraceMs: options.retentionGraceMs,
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULTS.redisCommandTimeoutMs,
      coalesce: options.coalesce ?? true,
    });
    const shared = {
      pool: this.#pool,
      tables: this.#tables,
      projection: this.#projection,
      logger: options.logger,
      metrics,
      clock: this.#clock,
    };
    this.#publisher = new OutboxPublisher({ ...shared, intervalMs: options.outboxIntervalMs ?? DEFAULTS.outboxIntervalMs });
    this.#reconciler = new Reconciler({
      ...shared,
      publisher: this.#publisher,
      intervalMs: options.reconcileIntervalMs ?? DEFAULTS.reconcileIntervalMs,
    });
  }

  /** The Redis connection, for tests. */
  get redis(): RedisClient {
    return this.#projection.redis;
  }

  /**
   * Applies the schema migrations (retrying until PostgreSQL answers), then
   * starts the outbox publisher and the reconciliation. Redis need not be up.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#start();
    return this.#ready;
  }

  async #start(): Promise<void> {
    const { logger } = this.#options;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) throw new Error('store closed before it was ready');
      try {
        const applied = await migrate(this.#pool, this.#tables);
        if (applied.length > 0) logger.info({ schema: this.#tables.name, applied }, 'database schema migrated');
        break;
      } catch (err) {
        logger.warn({ err, attempt }, 'PostgreSQL is not ready; retrying');
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(DEFAULTS.postgres.retryStepMs * attempt, DEFAULTS.postgres.retryMaxMs)),
        );
      }
    }
    this.#publisher.start();
    this.#reconciler.start();
  }

  async revoke(plan: RevocationPlan, context: ChangeContext): Promise<RevokeResult> {
    checkPlanIds(plan);
    const { entry, record } = plan;
    const change = encodeChange({ op: 'revoke', entry, at: context.now });
    const row = await this.#record(
      memberOf(entry.type, entry.id),
      entry.type,
      entry.id,
      record.sub ?? null,
      entry.pruneAt,
      entry.cutoff ?? null,
      plan.rank,
      record,
      change,
      context.now,
    );
    if (row.assigned !== null) await this.#publish(Number(row.assigned));
    return { changed: row.applied, record: row.stored as RevocationRecord };
  }

  /**
   * All items in one statement, so one transaction: either every change
   * commits, with contiguous offsets (the offset row stays locked until the
   * commit), or none does.
   */
  async revokeBatch(plans: readonly RevocationPlan[], context: ChangeContext): Promise<BatchRevokeResult> {
    plans.forEach((plan, i) => checkPlanIds(plan, `items.${i}.`));
    // One statement, one round trip: record_change runs once per item in item order, inside one transaction.
    const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (const { entry, record, rank } of plans) {
      const values = [
        memberOf(entry.type, entry.id),
        entry.type,
        entry.id,
        record.sub ?? null,
        entry.pruneAt,
        entry.cutoff ?? null,
        rank,
        JSON.stringify(record),
        encodeChange({ op: 'revoke', entry, at: context.now }),
      ];
      values.forEach((value, i) => columns[i]?.push(value));
    }
    const { rows } = await this.#call(() =>
      this.#pool.query<ChangeRow>(
        `SELECT r.applied, r.stored, r.assigned
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::jsonb[], $9::text[])
                WITH ORDINALITY AS item(member, type, id, sub, prune_at, cutoff, rank, record, body, position)
           CROSS JOIN LATERAL ${this.#tables.recordChange}(item.member, item.type, item.id, item.sub, item.prune_at, item.cutoff, item.rank, item.record, item.body, $10) AS r
          ORDER BY item.position`,
        [...columns, context.now],
      ),
    );
    const assigned = rows.flatMap((row) => (row.assigned === null ? [] : [Number(row.assigned)]));
    const first = assigned[0];
    const last = assigned.at(-1);
    if (last !== undefined) await this.#publish(last);
    return {
      results: rows.map((row) => ({ changed: row.applied, record: row.stored as RevocationRecord })),
      offsets: first === undefined || last === undefined ? null : { first, last },
    };
  }

  async reinstate(type: RevocationType, id: string, context: ChangeContext): Promise<ReinstateResult | null> {
    // A lone surrogate would reach PostgreSQL as U+FFFD and could name another id.
    checkId('id', id);
    const change = encodeChange({ op: 'reinstate', type, id, at: context.now });
    const row = await this.#record(memberOf(type, id), type, id, null, null, null, null, null, change, context.now);
    if (row.assigned === null) return null;
    const offset = Number(row.assigned);
    await this.#publish(offset);
    return { record: row.stored as RevocationRecord, offset };
  }

  /** Records one change (see `record_change` in the migrations): one round trip, one commit. */
  async #record(
    member: string,
    type: RevocationType,
    id: string,
    sub: string | null,
    pruneAt: number | null,
    cutoff: number | null,
    rank: number | null,
    record: RevocationRecord | null,
    change: string,
    at: number,
  ): Promise<ChangeRow> {
    const { rows } = await this.#call(() =>
      this.#pool.query<ChangeRow>(
        `SELECT applied, stored, assigned FROM ${this.#tables.recordChange}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [member, type, id, sub, pruneAt, cutoff, rank, record === null ? null : JSON.stringify(record), change, at],
      ),
    );
    return rows[0] as ChangeRow;
  }

  /** Committed already; give Redis a moment so verifiers have it when the caller hears back. */
  async #publish(offset: number): Promise<void> {
    void this.#publisher.kick();
    await this.#publisher.waitFor(offset, this.#options.publishWaitMs ?? DEFAULTS.publishWaitMs);
  }

  async get(type: RevocationType, id: string): Promise<RevocationRecord | null> {
    const { rows } = await this.#call(() =>
      this.#pool.query<RecordRow>(`SELECT record FROM ${this.#tables.revocations} WHERE member = $1`, [memberOf(type, id)]),
    );
    return rows[0]?.record ?? null;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const after = query.cursor === undefined ? '' : decodeCursor(query.cursor, 'm');
    const where = ['member > $1'];
    const params: unknown[] = [after];
    if (query.type !== undefined) where.push(`type = $${params.push(query.type)}`);
    if (query.sub !== undefined) where.push(`sub = $${params.push(query.sub)}`);
    const { rows } = await this.#call(() =>
      this.#pool.query<RecordRow & { member: string }>(
        `SELECT member, record FROM ${this.#tables.revocations} WHERE ${where.join(' AND ')} ORDER BY member LIMIT $${params.push(query.limit + 1)}`,
        params,
      ),
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => row.record),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor({ m: last.member }) : null,
    };
  }

  async counts(): Promise<Record<RevocationType, number>> {
    const { rows } = await this.#call(() =>
      this.#pool.query<{ type: RevocationType; count: number }>(
        `SELECT type, count(*)::int AS count FROM ${this.#tables.revocations} GROUP BY type`,
      ),
    );
    const counts = { token: 0, subject: 0, session: 0 };
    for (const row of rows) counts[row.type] = row.count;
    return counts;
  }

  /**
   * Drops revocations past their prune time plus the grace, from the record
   * and from Redis, and outbox rows that Redis has and no verifier can need.
   */
  async prune(now: number): Promise<number> {
    const t = this.#tables;
    const { maxTokenTtlMs, retentionGraceMs } = this.#options;
    let total = 0;
    for (;;) {
      const { rowCount } = await this.#call(() =>
        this.#pool.query(
          `DELETE FROM ${t.revocations} WHERE member IN (SELECT member FROM ${t.revocations} WHERE prune_at <= $1 LIMIT ${PRUNE_BATCH})`,
          [now - retentionGraceMs],
        ),
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < PRUNE_BATCH) break;
    }
    await this.#call(() =>
      this.#pool.query(`DELETE FROM ${t.changes} WHERE at < $1 AND change_offset <= (SELECT published FROM ${t.publication})`, [
        now - maxTokenTtlMs - retentionGraceMs,
      ]),
    );
    await this.#projection.prune(now).catch(() => {
      // Redis is away; the next prune (or a re-seed) catches up.
    });
    return total;
  }

  /** Ready means the record answers: revocations are accepted while Redis is away. */
  async ping(): Promise<void> {
    await this.#call(() => this.#pool.query('SELECT 1'));
  }

  /** Runs the reconciliation now (it also runs every `reconcileIntervalMs`). */
  reconcile(): Promise<ReconcileReport> {
    return this.#reconciler.run();
  }

  /** Runs an outbox pass now (it also runs every `outboxIntervalMs` and after each change). */
  publishPending(): Promise<void> {
    return this.#publisher.kick();
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      // The record's CHECK on the id rule refused a row: a bad request, not an outage.
      const { code, constraint } = err as { code?: unknown; constraint?: unknown };
      if (code === '23514' && constraint === ID_CONSTRAINTS.id) throw new InvalidIdError('id', 'is refused by the record');
      if (code === '23514' && constraint === ID_CONSTRAINTS.sub) throw new InvalidIdError('sub', 'is refused by the record');
      throw new StoreUnavailableError(`postgres: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      await Promise.allSettled([this.#publisher.stop(), this.#reconciler.stop()]);
      await this.#projection.close();
      if (this.#ownsPool) await this.#pool.end();
    })();
    return this.#closing;
  }
}
