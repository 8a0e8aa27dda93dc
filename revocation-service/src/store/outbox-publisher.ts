import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { DurabilityMetrics, ReseedReason } from '../metrics/durability-metrics.js';
import { adoptFromRedis } from './postgres/adopt-from-redis.js';
import { adoptRecords } from './postgres/adopt-records.js';
import type { Tables } from './postgres/migrations.js';
import { inSnapshot, readChanges, readEntries, readLastOffset, readPublication, type Publication } from './postgres/record-reader.js';
import { RedisChangedError, type ProjectionHead, type RedisProjection } from './redis-projection.js';
import { newEpoch } from './revocation-store.js';

export interface OutboxPublisherOptions {
  readonly pool: Pool;
  readonly tables: Tables;
  readonly projection: RedisProjection;
  readonly logger: Logger;
  readonly metrics: DurabilityMetrics;
  /** How often to look for unpublished changes and for a Redis that lost data. */
  readonly intervalMs: number;
  readonly clock: () => number;
}

const BATCH = 500;
/** Re-seeds retried at once when Redis took a change between the adoption and the swap. */
const MAX_SWAP_ATTEMPTS = 5;

/**
 * Why Redis must be re-seeded, or `undefined` when it follows the record.
 * Read the publication row first, then the Redis head, then the last offset:
 * in that order a healthy Redis always lies between the two.
 */
export function reseedReason(publication: Publication, head: ProjectionHead, lastOffset: number): ReseedReason | undefined {
  if (publication.epoch === null) return 'first-start';
  if (head.epoch === null) return 'redis-empty';
  if (head.epoch !== publication.epoch) return 'epoch-changed';
  // Redis confirmed more than it holds now: a failover or restart lost writes.
  if (head.offset < publication.published) return 'offset-regressed';
  // Redis holds changes the record does not: the record was restored from an older backup.
  if (head.offset > lastOffset) return 'ahead-of-record';
  return undefined;
}

interface Waiter {
  readonly offset: number;
  readonly resolve: (published: boolean) => void;
}

/**
 * Feeds Redis from the outbox (the `changes` table) in offset order. Every
 * replica runs one; they need no coordination to publish, because Redis
 * applies each offset once and only after the previous one. Re-seeding takes
 * the publication row lock, so one replica at a time does it.
 *
 * Every full check (each `intervalMs`, idle or not) ends by writing the
 * record watermark: verifiers stop calling their list current when it stops
 * advancing, which is what a Redis that answers reads but refuses writes
 * looks like from outside. So with a durable record, verifiers stay current
 * only while at least one replica runs.
 */
export class OutboxPublisher {
  readonly #options: OutboxPublisherOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Highest offset known to be reflected in Redis (applied, or inside a re-seed). */
  #confirmed = 0;
  #waiters: Waiter[] = [];
  #lastError = '';
  /**
   * The history Redis followed at the end of the last pass. While it holds,
   * a pass only reads the new changes and applies them (the script refuses
   * them if Redis changed meanwhile); the full check of Redis against the
   * record runs on the timer, on reconnect and after any refusal.
   */
  #known: { epoch: string; offset: number } | undefined;
  #fullCheckDue = true;

  constructor(options: OutboxPublisherOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.#fullCheck(), this.#options.intervalMs);
    this.#timer.unref();
    this.#options.projection.onReady(() => void this.#fullCheck());
    void this.kick();
  }

  #fullCheck(): Promise<void> {
    this.#fullCheckDue = true;
    return this.kick();
  }

  /** Runs a pass now, or once more after the one in progress. Never rejects. */
  kick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#pass();
        } while (this.#again && !this.#stopped);
        this.#lastError = '';
      } catch (err) {
        this.#known = undefined;
        this.#fullCheckDue = true;
        this.#options.metrics.publishFailed();
        const message = (err as Error).message;
        // One line per kind of failure, not one per retry.
        if (message !== this.#lastError) {
          this.#lastError = message;
          this.#options.logger.warn({ err }, 'could not publish to Redis; the outbox keeps the changes and retries');
        }
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Resolves true once Redis holds `offset`, false after `timeoutMs`. */
  waitFor(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.#confirmed >= offset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        offset,
        resolve: (published) => {
          clearTimeout(timer);
          resolve(published);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.#waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(false);
  }

  async #pass(): Promise<void> {
    const known = this.#known;
    if (known !== undefined && !this.#fullCheckDue) {
      const reached = await this.#publish(known.epoch, known.offset);
      if (reached !== undefined) {
        this.#known = { epoch: known.epoch, offset: reached };
        return;
      }
    }
    this.#fullCheckDue = false;
    this.#known = undefined;
    const { pool, tables, projection, metrics } = this.#options;
    const publication = await readPublication(pool, tables);
    const head = await projection.head();
    // Redis's clock before the record's offset: everything acknowledged before `at` is at or below `lastOffset`.
    const at = await projection.time();
    const lastOffset = await readLastOffset(pool, tables);
    const reason = reseedReason(publication, head, lastOffset);
    if (reason !== undefined) {
      if (reason === 'first-start' && head.epoch !== null) await this.#adopt();
      await this.reseed(reason);
      // Changes committed during the re-seed follow it.
      this.#fullCheckDue = true;
      this.#again = true;
      return;
    }
    const epoch = publication.epoch as string;
    const reached = await this.#publish(epoch, head.offset);
    if (reached === undefined) {
      this.#fullCheckDue = true;
      this.#again = true;
      return;
    }
    this.#known = { epoch, offset: reached };
    // Written after publishing, so it rarely runs ahead of what Redis holds; verifiers date their lists by it.
    await projection.writeWatermark({ offset: lastOffset, at });
    // Recorded now and then, not per change: it only has to tell a Redis that lost writes from one that is behind.
    if (reached > publication.published) {
      await pool.query(`UPDATE ${tables.publication} SET published = $2 WHERE epoch = $1 AND published < $2`, [epoch, reached]);
    }
    metrics.unpublished(Math.max(0, lastOffset - reached));
  }

  /** Takes over what a Redis-only deployment recorded, before the first re-seed replaces it. */
  async #adopt(): Promise<void> {
    const { pool, tables, projection, logger } = this.#options;
    const adopted = await adoptRecords(pool, tables, projection.storedRecords());
    if (adopted > 0) logger.warn({ adopted }, 'adopted the revocations Redis held into the new PostgreSQL record');
  }

  /**
   * Applies every change after `from` under `epoch`. Returns the offset Redis
   * holds afterwards, or `undefined` when Redis refused (another epoch, none,
   * or it went backwards) or the outbox no longer holds what Redis misses.
   */
  async #publish(epoch: string, from: number): Promise<number | undefined> {
    const { pool, tables, projection, clock } = this.#options;
    let offset = from;
    this.#confirm(offset);
    for (;;) {
      const changes = await readChanges(pool, tables, offset, BATCH);
      const first = changes[0];
      if (first === undefined) return offset;
      if (first.offset !== offset + 1) {
        // Pruned while Redis was away: only a re-seed can bring Redis up to date.
        await this.reseed('history-trimmed', true);
        return undefined;
      }
      const result = await projection.apply(epoch, changes, clock());
      if (result.status !== 'ok') return undefined;
      offset = result.offset;
      this.#confirm(offset);
      if (changes.length < BATCH) return offset;
    }
  }

  /**
   * Replaces Redis with the record under a new epoch, so every verifier
   * reloads. Live revocations that only Redis holds are adopted into the
   * record first (see adoptFromRedis), and the swap happens only if Redis
   * took no change since they were read: a re-seed never un-revokes.
   * Under the publication row lock the reason is checked again:
   * another replica may have just done it. `force` skips that check
   * (reconciliation found differences, the outbox was trimmed).
   * Returns whether it re-seeded.
   */
  async reseed(reason: ReseedReason, force = false): Promise<boolean> {
    const { pool, tables, projection, logger, metrics, clock } = this.#options;
    const lock = await pool.connect();
    let released = false;
    try {
      await lock.query('BEGIN');
      const publication = await readPublication(lock, tables, true);
      const started = clock();
      let swapped: { epoch: string; offset: number; entries: number } | undefined;
      for (let attempt = 1; swapped === undefined; attempt++) {
        // Everything Redis holds, not only its head: what the record lacks is adopted before Redis is replaced.
        const held = await projection.readAll();
        // Publication, then Redis, then the last offset: the order reseedReason needs.
        if (attempt === 1 && !force && reseedReason(publication, held, await readLastOffset(lock, tables)) === undefined) {
          await lock.query('COMMIT');
          return false;
        }
        // Verifiers never follow a durable history back to a lower offset, so the new
        // epoch starts at or above what Redis shows (which is more than the record only
        // when the record is new to this Redis or was restored from an older backup).
        // Committed on its own, so the snapshot below sees it.
        if (held.offset > 0) await pool.query(`UPDATE ${tables.history} SET last_offset = GREATEST(last_offset, $1)`, [held.offset]);
        // Nothing but an audited reinstate un-revokes: live revocations only Redis holds join the record first.
        const adopted = await adoptFromRedis(pool, tables, held.entries, projection, clock(), logger);
        if (adopted > 0) {
          metrics.adopted(adopted);
          logger.warn({ reason, adopted }, 'Redis held revocations the record did not; adopted them into the record before re-seeding');
        }
        const epoch = newEpoch();
        try {
          swapped = await inSnapshot(pool, async (snapshot) => {
            const offset = await readLastOffset(snapshot, tables);
            return { epoch, offset, entries: await projection.reseed(epoch, offset, readEntries(snapshot, tables), held.stamp) };
          });
        } catch (err) {
          // A writer that bypasses the record added a revocation meanwhile: adopt that too and try again. Redis keeps
          // everything until a swap succeeds, so giving up (the outbox and reconciliation retry) loses nothing.
          if (!(err instanceof RedisChangedError) || attempt >= MAX_SWAP_ATTEMPTS) throw err;
        }
      }
      const { epoch, offset, entries } = swapped;
      await lock.query(`UPDATE ${tables.publication} SET epoch = $1, published = $2`, [epoch, offset]);
      await lock.query('COMMIT');
      metrics.reseeded(reason);
      this.#confirm(offset);
      // The first seed of a new deployment is routine; any other means Redis lost or changed data.
      logger[reason === 'first-start' ? 'info' : 'warn'](
        { reason, epoch, offset, entries, ms: clock() - started },
        're-seeded Redis from the record under a new epoch; verifiers reload',
      );
      return true;
    } catch (err) {
      await lock.query('ROLLBACK').catch(() => {});
      lock.release(err as Error);
      released = true;
      throw err;
    } finally {
      if (!released) lock.release();
    }
  }

  #confirm(offset: number): void {
    if (offset <= this.#confirmed) return;
    this.#confirmed = offset;
    if (this.#waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.offset <= offset) waiter.resolve(true);
      else waiting.push(waiter);
    }
    this.#waiters = waiting;
  }
}
