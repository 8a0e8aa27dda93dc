import { Cluster } from 'ioredis';
import type { RedisClient } from '@revocast/verifier-sdk';
import {
  META,
  REVOCATION_TYPES,
  WRITE_HEAD_WATERMARK_SCRIPT,
  encodeChange,
  memberOf,
  redisKeys,
  type RedisKeys,
  type RevocationType,
} from '@revocast/verifier-sdk/protocol';
import type { RevocationPlan, RevocationRecord } from '../model/revocation.js';
import { LUA_INVALID_ID } from './lua-id-rule.js';
import { ENSURE_HISTORY, PRUNE, RECORD_OWNED_REPLY, REINSTATE, REVOKE_BATCH } from './lua-scripts.js';
import { closeServiceRedis, connectServiceRedis, type ServiceRedis } from './redis-connection.js';
import {
  InvalidCursorError,
  InvalidIdError,
  RecordOwnedError,
  StoreUnavailableError,
  checkId,
  checkPlanIds,
  decodeCursor,
  encodeCursor,
  newEpoch,
  type ChangeContext,
  type ListPage,
  type BatchRevokeResult,
  type ListQuery,
  type ReinstateResult,
  type RevocationStore,
  type RevokeResult,
} from './revocation-store.js';
import { DEFAULTS } from '../config/defaults.js';

export interface RedisStoreOptions {
  /** Redis URL (standalone, `redis+sentinel://` or `redis+cluster://`) or an ioredis client or cluster (not closed by the store). */
  readonly redis: string | RedisClient;
  readonly keyPrefix: string;
  /** The longest token lifetime; the stream keeps at least this much history. */
  readonly maxTokenTtlMs: number;
  /** Kept past the prune time, so verifiers with a clock tolerance up to this still get the entry. */
  readonly retentionGraceMs: number;
  /** Default {@link DEFAULTS.redisCommandTimeoutMs} (3 s). */
  readonly commandTimeoutMs?: number;
  /**
   * How often the head watermark is written (ms), so verifiers that read a
   * replica can tell how far behind it is. Default `DEFAULTS.headWatermarkIntervalMs`; 0 writes none.
   */
  readonly watermarkIntervalMs?: number;
}

const PRUNE_BATCH = 1000;
const MAX_SCAN_CURSOR = 2n ** 64n - 1n;

type ScriptReply = [number, string, string?];

/**
 * The revocation store on Redis: the Lua scripts in `lua-scripts.ts` do
 * every change. On a Redis that belongs to a PostgreSQL record it refuses
 * every change with {@link RecordOwnedError} (409), writing nothing.
 */
export class RedisStore implements RevocationStore {
  readonly #connection: ServiceRedis;
  readonly #redis: RedisClient;
  /** SPUBLISH on a cluster, PUBLISH elsewhere; verifiers subscribe the same way. */
  readonly #publishCommand: 'PUBLISH' | 'SPUBLISH';
  readonly #keys: RedisKeys;
  readonly #options: RedisStoreOptions;
  readonly #watermarkTimer: NodeJS.Timeout | undefined;

  constructor(options: RedisStoreOptions) {
    this.#options = options;
    this.#keys = redisKeys(options.keyPrefix);
    this.#connection = connectServiceRedis(options.redis, options.commandTimeoutMs ?? DEFAULTS.redisCommandTimeoutMs);
    this.#redis = this.#connection.client;
    this.#publishCommand = this.#redis instanceof Cluster ? 'SPUBLISH' : 'PUBLISH';
    this.#redis.defineCommand('revocastReinstate', { numberOfKeys: 6, lua: REINSTATE });
    this.#redis.defineCommand('revocastPrune', { numberOfKeys: 6, lua: PRUNE });
    this.#redis.defineCommand('revocastRevokeBatch', { numberOfKeys: 6, lua: REVOKE_BATCH });
    this.#redis.defineCommand('revocastEnsureHistory', { numberOfKeys: 1, lua: ENSURE_HISTORY });
    this.#redis.defineCommand('revocastHeadWatermark', { numberOfKeys: 2, lua: WRITE_HEAD_WATERMARK_SCRIPT });
    const every = options.watermarkIntervalMs ?? DEFAULTS.headWatermarkIntervalMs;
    if (every > 0) {
      // Failures are harmless here: a missing watermark makes replica readers stale, never current.
      this.#watermarkTimer = setInterval(() => {
        (this.#redis as unknown as Scripts).revocastHeadWatermark(this.#keys.meta, this.#keys.watermark).catch(() => {});
      }, every);
      this.#watermarkTimer.unref();
    }
    // Redis may come back empty (a restart without persistence): give verifiers a new history at once.
    this.#redis.on('ready', () => void this.#ensureHistory());
    if (this.#redis.status === 'ready') void this.#ensureHistory();
  }

  /** The connection, for health checks and tests. */
  get redis(): RedisClient {
    return this.#redis;
  }

  async #ensureHistory(): Promise<void> {
    try {
      await (this.#redis as unknown as Scripts).revocastEnsureHistory(this.#keys.meta, newEpoch());
    } catch {
      // Redis went away again; the next 'ready' or change retries.
    }
  }

  ready(): Promise<void> {
    if (this.#redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.#redis.once('ready', () => resolve()));
  }

  #scriptKeys(): string[] {
    const k = this.#keys;
    return [k.meta, k.entries, k.cutoffs, k.details, k.log, k.bySub];
  }

  /** Stream entries older than this may be trimmed: beyond any token still alive. */
  #minStreamId(now: number): string {
    return `${Math.max(0, now - this.#options.maxTokenTtlMs - this.#options.retentionGraceMs)}-0`;
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const message = (err as Error).message;
      // A writer script refused an id: a bad request, not an outage.
      if (message.startsWith(LUA_INVALID_ID)) throw new InvalidIdError(message.slice(LUA_INVALID_ID.length + 1), 'is refused by the Redis writer');
      if (message.startsWith(RECORD_OWNED_REPLY)) throw new RecordOwnedError({ cause: err });
      throw new StoreUnavailableError(`redis: ${message}`, { cause: err });
    }
  }

  /** A batch of one: one script and one code path for every revocation. */
  async revoke(plan: RevocationPlan, context: ChangeContext): Promise<RevokeResult> {
    checkPlanIds(plan);
    const { results } = await this.revokeBatch([plan], context);
    return results[0] as RevokeResult;
  }

  async revokeBatch(plans: readonly RevocationPlan[], context: ChangeContext): Promise<BatchRevokeResult> {
    plans.forEach((plan, i) => checkPlanIds(plan, `items.${i}.`));
    const args: string[] = [newEpoch(), this.#minStreamId(context.now), this.#keys.channel, String(plans.length), this.#publishCommand];
    for (const plan of plans) args.push(...revokeArgs(plan, context.now), plan.record.sub ?? '');
    const reply = await this.#call(
      () => (this.#redis as unknown as Scripts).revocastRevokeBatch(...this.#scriptKeys(), ...args) as Promise<Array<string | number>>,
    );
    const results: RevokeResult[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      results.push({ changed: reply[i] === 1, record: JSON.parse(String(reply[i + 1])) as RevocationRecord });
    }
    const changed = results.filter((result) => result.changed).length;
    const first = reply[0] === '' ? null : Number(reply[0]);
    return { results, offsets: first === null ? null : { first, last: first + changed - 1 } };
  }

  async reinstate(type: RevocationType, id: string, context: ChangeContext): Promise<ReinstateResult | null> {
    checkId('id', id);
    const change = encodeChange({ op: 'reinstate', type, id, at: context.now });
    const reply = await this.#call(
      () =>
        (this.#redis as unknown as Scripts).revocastReinstate(
          ...this.#scriptKeys(),
          memberOf(type, id),
          type,
          id,
          change,
          newEpoch(),
          this.#minStreamId(context.now),
          this.#keys.channel,
          this.#publishCommand,
        ) as Promise<ScriptReply>,
    );
    if (reply[0] !== 1) return null;
    return { record: JSON.parse(reply[1]) as RevocationRecord, offset: Number(reply[2]) };
  }

  async get(type: RevocationType, id: string): Promise<RevocationRecord | null> {
    const json = await this.#call(() => this.#redis.hget(this.#keys.details, memberOf(type, id)));
    return json === null ? null : (JSON.parse(json) as RevocationRecord);
  }

  async list(query: ListQuery): Promise<ListPage> {
    return query.sub === undefined ? this.#listAll(query) : this.#listBySub(query.sub, query);
  }

  async #listBySub(sub: string, query: ListQuery): Promise<ListPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'm');
    // Index members are `<sub>\0<member>`; ids never contain control characters, so `<sub>\x01` bounds them.
    const min = after === undefined ? `[${sub}\0` : `(${sub}\0${after}`;
    const rows = await this.#call(() =>
      this.#redis.zrangebylex(this.#keys.bySub, min, `(${sub}\x01`, 'LIMIT', 0, query.limit),
    );
    const members = rows.map((row) => row.slice(sub.length + 1));
    const records = await this.#records(members);
    const items = query.type === undefined ? records : records.filter((record) => record.type === query.type);
    const last = members.at(-1);
    return { items, nextCursor: rows.length === query.limit && last !== undefined ? encodeCursor({ m: last }) : null };
  }

  async #listAll(query: ListQuery): Promise<ListPage> {
    const cursor = query.cursor === undefined ? '0' : decodeCursor(query.cursor, 'c');
    // Redis refuses a SCAN cursor past 64 bits with an error, which would read as an outage.
    if (!/^\d{1,20}$/.test(cursor) || BigInt(cursor) > MAX_SCAN_CURSOR) throw new InvalidCursorError();
    const match = query.type === undefined ? '*' : `${memberOf(query.type, '')}*`;
    const [next, flat] = await this.#call(() =>
      this.#redis.zscan(this.#keys.entries, cursor, 'MATCH', match, 'COUNT', query.limit),
    );
    const members = flat.filter((_, i) => i % 2 === 0);
    return { items: await this.#records(members), nextCursor: next === '0' ? null : encodeCursor({ c: next }) };
  }

  async #records(members: readonly string[]): Promise<RevocationRecord[]> {
    if (members.length === 0) return [];
    const rows = await this.#call(() => this.#redis.hmget(this.#keys.details, ...members));
    return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row) as RevocationRecord);
  }

  async counts(): Promise<Record<RevocationType, number>> {
    const values = await this.#call(() =>
      this.#redis.hmget(this.#keys.meta, ...REVOCATION_TYPES.map((type) => META.liveCount(type))),
    );
    return Object.fromEntries(REVOCATION_TYPES.map((type, i) => [type, Math.max(0, Number(values[i] ?? 0))])) as Record<
      RevocationType,
      number
    >;
  }

  async prune(now: number): Promise<number> {
    await this.#ensureHistory();
    const maxScore = String(now - this.#options.retentionGraceMs);
    let total = 0;
    for (;;) {
      const removed = Number(
        await this.#call(
          () =>
            (this.#redis as unknown as Scripts).revocastPrune(
              ...this.#scriptKeys(),
              maxScore,
              String(PRUNE_BATCH),
              this.#minStreamId(now),
            ) as Promise<number>,
        ),
      );
      total += removed;
      if (removed < PRUNE_BATCH) return total;
    }
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#redis.ping());
  }

  async close(): Promise<void> {
    clearInterval(this.#watermarkTimer);
    await closeServiceRedis(this.#connection);
  }
}

/** The ARGV values each item of REVOKE_BATCH begins with, in the order the script reads them. */
function revokeArgs({ record, entry, rank }: RevocationPlan, now: number): string[] {
  return [
    memberOf(entry.type, entry.id),
    entry.type,
    entry.id,
    String(rank),
    String(entry.pruneAt),
    String(entry.cutoff ?? ''),
    JSON.stringify(record),
    encodeChange({ op: 'revoke', entry, at: now }),
  ];
}

interface Scripts {
  revocastReinstate(...args: string[]): Promise<unknown>;
  revocastPrune(...args: string[]): Promise<unknown>;
  revocastRevokeBatch(...args: string[]): Promise<unknown>;
  revocastEnsureHistory(...args: string[]): Promise<unknown>;
  revocastHeadWatermark(...args: string[]): Promise<unknown>;
}
