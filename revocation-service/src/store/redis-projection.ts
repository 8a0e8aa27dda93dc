import { Cluster } from 'ioredis';
import type { RedisClient } from '@revocast/verifier-sdk';
import {
  META,
  READ_TIME_SCRIPT,
  encodeWatermark,
  isEpoch,
  memberOf,
  parseMember,
  parseOffset,
  redisKeys,
  redisTimeMs,
  type RedisKeys,
  type Watermark,
} from '@revocast/verifier-sdk/protocol';
import { PRUNE } from './lua-scripts.js';
import { APPLY, APPLY_AS_ONE_MESSAGE, READ_ALL, SWAP_IN } from './projection-scripts.js';
import { closeServiceRedis, connectServiceRedis, type ServiceRedis } from './redis-connection.js';
import { ServiceError } from '../errors.js';

/** One change of the record, as Redis needs it. */
export interface ProjectedChange {
  readonly offset: number;
  /** `jti:<id>`, `sub:<id>` or `sid:<id>`. */
  readonly member: string;
  /** `null` for a reinstate. */
  readonly pruneAt: number | null;
  /** Subject revocations only. */
  readonly cutoff: number | null;
  /** The change JSON, exactly as verifiers decode it. */
  readonly body: string;
}

/** One live revocation as verifiers load it. */
export interface ProjectedEntry {
  readonly pruneAt: number;
  readonly cutoff?: number;
}

export interface ProjectionHead {
  readonly epoch: string | null;
  readonly offset: number;
}

export type ApplyStatus = 'ok' | 'gap' | 'epoch' | 'empty';

export interface ApplyResult {
  readonly status: ApplyStatus;
  /** The offset Redis holds afterwards. */
  readonly offset: number;
  readonly applied: number;
}

/** What Redis holds, read at one instant. */
export interface ProjectionContents extends ProjectionHead {
  readonly entries: Map<string, ProjectedEntry>;
  /** What writers that bypass the record change (see STAMP): a re-seed swaps in only if it is unchanged. */
  readonly stamp: string;
}

export interface RedisProjectionOptions {
  readonly redis: string | RedisClient;
  readonly keyPrefix: string;
  readonly maxTokenTtlMs: number;
  readonly retentionGraceMs: number;
  readonly commandTimeoutMs: number;
  /**
   * Publish the changes one {@link RedisProjection.apply} call applies as one
   * message (a batch message for two or more) instead of one message each.
   * A single change is published the same either way. Default false.
   */
  readonly coalesce?: boolean;
}

/** A re-seed found Redis changed since what it held was read (and adopted): nothing was swapped in. */
export class RedisChangedError extends ServiceError<'ERR_REDIS_CHANGED'> {
  constructor() {
    super('ERR_REDIS_CHANGED', 'Redis took a change while it was being re-seeded (a writer that bypasses the record?); retrying');
  }
}

const STAGE_BATCH = 1000;
const PRUNE_BATCH = 1000;

interface Scripts {
  revocastApply(...args: string[]): Promise<[string, string, string]>;
  revocastSwapIn(...args: string[]): Promise<number>;
  revocastReadAll(...args: string[]): Promise<[string | null, string, string[], string[], string]>;
  revocastPrune(...args: string[]): Promise<number>;
  revocastTime(key: string): Promise<[string, string]>;
}

/**
 * Redis as a projection of the PostgreSQL record: the same keys, stream and
 * channel verifiers read in every mode, written only from the record's
 * changes (with the record's offsets) or re-seeded from it whole.
 */
export class RedisProjection {
  readonly #connection: ServiceRedis;
  readonly #redis: RedisClient;
  readonly #scripts: Scripts;
  readonly #keys: RedisKeys;
  readonly #staged: { entries: string; cutoffs: string };
  readonly #publishCommand: 'PUBLISH' | 'SPUBLISH';
  readonly #options: RedisProjectionOptions;

  constructor(options: RedisProjectionOptions) {
    this.#options = options;
    this.#keys = redisKeys(options.keyPrefix);
    // Same hash tag as every other key, so the swap script can rename them on a cluster.
    this.#staged = { entries: `${this.#keys.entries}:staged`, cutoffs: `${this.#keys.cutoffs}:staged` };
    this.#connection = connectServiceRedis(options.redis, options.commandTimeoutMs);
    this.#redis = this.#connection.client;
    this.#publishCommand = this.#redis instanceof Cluster ? 'SPUBLISH' : 'PUBLISH';
    this.#redis.defineCommand('revocastApply', { numberOfKeys: 4, lua: options.coalesce === true ? APPLY_AS_ONE_MESSAGE : APPLY });
    this.#redis.defineCommand('revocastSwapIn', { numberOfKeys: 8, lua: SWAP_IN });
    this.#redis.defineCommand('revocastReadAll', { numberOfKeys: 4, lua: READ_ALL });
    this.#redis.defineCommand('revocastPrune', { numberOfKeys: 6, lua: PRUNE });
    // Keyed, so a cluster answers from the node that holds the watermark (whose clock verifiers read).
    this.#redis.defineCommand('revocastTime', { numberOfKeys: 1, lua: READ_TIME_SCRIPT });
    this.#scripts = this.#redis as unknown as Scripts;
  }

  get redis(): RedisClient {
    return this.#redis;
  }

  /** Resolves once connected. */
  ready(): Promise<void> {
    if (this.#redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.#redis.once('ready', () => resolve()));
  }

  /** Runs `listener` each time the connection (re)connects: Redis may have come back empty. */
  onReady(listener: () => void): void {
    this.#redis.on('ready', listener);
  }

  async head(): Promise<ProjectionHead> {
    const [epoch, offset] = await this.#redis.hmget(this.#keys.meta, META.epoch, META.offset);
    return toHead(epoch ?? null, offset ?? null);
  }

  /** Redis's clock in ms, on the node that holds the keys. A read: it answers while Redis refuses writes. */
  async time(): Promise<number> {
    return redisTimeMs(await this.#scripts.revocastTime(this.#keys.watermark));
  }

  /**
   * Writes the record watermark. A plain write on purpose: a Redis that
   * refuses writes refuses it too, and verifiers then see it age.
   */
  async writeWatermark(watermark: Watermark): Promise<void> {
    await this.#redis.set(this.#keys.watermark, encodeWatermark(watermark));
  }

  /**
   * Applies changes in offset order under `epoch`; offsets Redis already
   * holds are skipped. With `coalesce`, the ones applied go out as one message.
   */
  async apply(epoch: string, changes: readonly ProjectedChange[], now: number): Promise<ApplyResult> {
    const k = this.#keys;
    const args = [epoch, this.#minStreamId(now), k.channel, this.#publishCommand];
    for (const change of changes) {
      args.push(
        String(change.offset),
        change.member,
        change.pruneAt === null ? '' : String(change.pruneAt),
        change.cutoff === null ? '' : String(change.cutoff),
        change.body,
      );
    }
    const [status, offset, applied] = await this.#scripts.revocastApply(k.meta, k.entries, k.cutoffs, k.log, ...args);
    return { status: status as ApplyStatus, offset: Number(offset), applied: Number(applied) };
  }

  /**
   * Replaces everything verifiers read with `entries`, under a new epoch at
   * `offset`. The entries are staged beside the live keys first, then swapped
   * in by one script, so no verifier ever reads a half-written list, and
   * only while Redis is still at `stamp` (read with what was adopted from it).
   */
  async reseed(
    epoch: string,
    offset: number,
    entries: AsyncIterable<ReadonlyArray<readonly [string, ProjectedEntry]>>,
    stamp: string,
  ): Promise<number> {
    const staged = this.#staged;
    await this.#redis.del(staged.entries, staged.cutoffs);
    let stagedEntries = 0;
    let stagedCutoffs = 0;
    for await (const batch of entries) {
      for (let start = 0; start < batch.length; start += STAGE_BATCH) {
        const scored: Array<string | number> = [];
        const cutoffs: string[] = [];
        for (const [member, entry] of batch.slice(start, start + STAGE_BATCH)) {
          scored.push(entry.pruneAt, member);
          const subject = entry.cutoff === undefined ? undefined : parseMember(member);
          if (subject !== undefined) cutoffs.push(subject.id, String(entry.cutoff));
        }
        if (scored.length === 0) continue;
        const pipeline = this.#redis.pipeline().zadd(staged.entries, ...scored);
        if (cutoffs.length > 0) pipeline.hset(staged.cutoffs, ...cutoffs);
        for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
        stagedEntries += scored.length / 2;
        stagedCutoffs += cutoffs.length / 2;
      }
    }
    const k = this.#keys;
    const swapped = await this.#scripts.revocastSwapIn(
      k.meta,
      k.entries,
      k.cutoffs,
      k.log,
      staged.entries,
      staged.cutoffs,
      k.details,
      k.bySub,
      epoch,
      String(offset),
      String(stagedEntries),
      String(stagedCutoffs),
      stamp,
    );
    if (swapped === -2) throw new RedisChangedError();
    if (swapped < 0) throw new Error('the staged re-seed is incomplete on this Redis (it changed during the re-seed); retrying');
    return swapped;
  }

  /** Reads the head and every entry at one instant, for reconciliation. */
  async readAll(): Promise<ProjectionContents> {
    const k = this.#keys;
    const [epoch, offset, scored, cutoffs, stamp] = await this.#scripts.revocastReadAll(k.meta, k.entries, k.cutoffs, k.details);
    const entries = new Map<string, ProjectedEntry>();
    for (let i = 0; i + 1 < scored.length; i += 2) entries.set(scored[i] as string, { pruneAt: Number(scored[i + 1]) });
    for (let i = 0; i + 1 < cutoffs.length; i += 2) {
      const member = memberOf('subject', cutoffs[i] as string);
      const entry = entries.get(member);
      if (entry !== undefined) entries.set(member, { pruneAt: entry.pruneAt, cutoff: Number(cutoffs[i + 1]) });
    }
    return { ...toHead(epoch, offset), entries, stamp };
  }

  /** The records the Redis-only store kept for `members` (its details hash), null where there is none. */
  async details(members: readonly string[]): Promise<ReadonlyArray<string | null>> {
    if (members.length === 0) return [];
    return this.#redis.hmget(this.#keys.details, ...members);
  }

  /**
   * The full records a Redis-only deployment kept (the details hash), a page
   * at a time, so a first start on PostgreSQL can adopt them.
   */
  async *storedRecords(): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(this.#keys.details, cursor, 'COUNT', STAGE_BATCH);
      cursor = next;
      yield flat.filter((_, i) => i % 2 === 1);
    } while (cursor !== '0');
  }

  /** Drops entries past their prune time and trims the stream; not a change. */
  async prune(now: number): Promise<number> {
    const k = this.#keys;
    const maxScore = String(now - this.#options.retentionGraceMs);
    let total = 0;
    for (;;) {
      const removed = Number(
        await this.#scripts.revocastPrune(
          k.meta,
          k.entries,
          k.cutoffs,
          k.details,
          k.log,
          k.bySub,
          maxScore,
          String(PRUNE_BATCH),
          this.#minStreamId(now),
        ),
      );
      total += removed;
      if (removed < PRUNE_BATCH) return total;
    }
  }

  /** Stream entries older than this may be trimmed: beyond any token still alive. */
  #minStreamId(now: number): string {
    return `${Math.max(0, now - this.#options.maxTokenTtlMs - this.#options.retentionGraceMs)}-0`;
  }

  close(): Promise<void> {
    return closeServiceRedis(this.#connection);
  }
}

function toHead(epoch: string | null, offset: string | null): ProjectionHead {
  if (epoch === null) return { epoch: null, offset: 0 };
  const parsed = parseOffset(offset ?? '0');
  // Anything else is not a history this service wrote: treat it as lost, so it is re-seeded.
  if (!isEpoch(epoch) || parsed === undefined) return { epoch: null, offset: 0 };
  return { epoch, offset: parsed };
}
