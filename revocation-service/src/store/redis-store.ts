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
import { ENSURE_HISTORY, PRUNE, RECORD_OWNED_REPLY, REINSTATE, REVOKE_BATCH, WRITE_GROUPS } from './lua-scripts.js';
import { closeServiceRedis, connectServiceRedis, type ServiceRedis } from './redis-connection.js';
import { WriteCoalescer, type CoalesceOptions, type WriteOutcome } from './write-coalescer.js';
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
  /**
   * Coalesced delivery: revocations and reinstatements made while a write
   * is in flight queue and go out together, as one script and one message,
   * so under a burst verifiers receive about one message per round trip to
   * Redis rather than one per change. A call made while nothing is in flight
   * goes out at once. Each caller still gets its own result or error.
   * Default on (at most 1000 changes a write, 5 ms of waiting); `false`
   * writes every call on its own.
   */
  readonly coalesce?: CoalesceOptions | false;
}

/** One caller's change(s): one revocation call (all or nothing) or one reinstatement. */
type WriteGroup =
  | { readonly op: 'revoke'; readonly plans: readonly RevocationPlan[]; readonly now: number }
  | { readonly op: 'reinstate'; readonly type: RevocationType; readonly id: string; readonly now: number };

type WriteResult = BatchRevokeResult | ReinstateResult | null;

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
  readonly #scripts: Scripts;
  /** SPUBLISH on a cluster, PUBLISH elsewhere; verifiers subscribe the same way. */
  readonly #publishCommand: 'PUBLISH' | 'SPUBLISH';
  readonly #keys: RedisKeys;
  readonly #options: RedisStoreOptions;
  readonly #watermarkTimer: NodeJS.Timeout | undefined;
  readonly #writes: WriteCoalescer<WriteGroup, WriteResult> | undefined;

  constructor(options: RedisStoreOptions) {
    this.#options = options;
    this.#keys = redisKeys(options.keyPrefix);
    this.#connection = connectServiceRedis(options.redis, options.commandTimeoutMs ?? DEFAULTS.redisCommandTimeoutMs);
    this.#redis = this.#connection.client;
    this.#scripts = this.#redis as unknown as Scripts;
    this.#publishCommand = this.#redis instanceof Cluster ? 'SPUBLISH' : 'PUBLISH';
    this.#redis.defineCommand('revocastReinstate', { numberOfKeys: 6, lua: REINSTATE });
    this.#redis.defineCommand('revocastPrune', { numberOfKeys: 6, lua: PRUNE });
    this.#redis.defineCommand('revocastRevokeBatch', { numberOfKeys: 6, lua: REVOKE_BATCH });
    this.#redis.defineCommand('revocastWriteGroups', { numberOfKeys: 6, lua: WRITE_GROUPS });
    this.#redis.defineCommand('revocastEnsureHistory', { numberOfKeys: 1, lua: ENSURE_HISTORY });
    this.#redis.defineCommand('revocastHeadWatermark', { numberOfKeys: 2, lua: WRITE_HEAD_WATERMARK_SCRIPT });
    if (options.coalesce !== false) {
      this.#writes = new WriteCoalescer<WriteGroup, WriteResult>(
        (groups) => this.#writeGroups(groups),
        (group) => (group.op === 'revoke' ? group.plans.length : 1),
        options.coalesce,
      );
    }
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
      if (message.startsWith(LUA_INVALID_ID))
        throw new InvalidIdError(message.slice(LUA_INVALID_ID.length + 1), 'is refused by the Redis writer');
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
    return (await this.#write({ op: 'revoke', plans, now: context.now })) as BatchRevokeResult;
  }

  async reinstate(type: RevocationType, id: string, context: ChangeContext): Promise<ReinstateResult | null> {
    checkId('id', id);
    return (await this.#write({ op: 'reinstate', type, id, now: context.now })) as ReinstateResult | null;
  }

  #write(group: WriteGroup): Promise<WriteResult> {
    return this.#writes === undefined ? this.#writeAlone(group) : this.#writes.submit(group);
  }

  /**
   * The calls one coalesced write carries. One alone runs the script it
   * would run uncoalesced (so a lone change is written and published exactly
   * as ever); several run WRITE_GROUPS, where each keeps its own result and
   * its own refusal.
   */
  async #writeGroups(groups: readonly WriteGroup[]): Promise<Array<WriteOutcome<WriteResult>>> {
    const [only] = groups;
    if (groups.length === 1 && only !== undefined) return [{ ok: true, value: await this.#writeAlone(only) }];
    const now = Math.min(...groups.map((group) => group.now));
    const args: string[] = [newEpoch(), this.#minStreamId(now), this.#keys.channel, this.#publishCommand, String(groups.length)];
    for (const group of groups) {
      if (group.op === 'revoke') {
        args.push(String(group.plans.length));
        for (const plan of group.plans) args.push('revoke', ...revokeArgs(plan, group.now));
      } else {
        args.push('1', 'reinstate', ...reinstateArgs(group.type, group.id, group.now));
      }
    }
    const replies = await this.#call(
      () => this.#scripts.revocastWriteGroups(...this.#scriptKeys(), ...args) as Promise<Array<Array<string | number>>>,
    );
    return groups.map((group, g) => {
      try {
        return groupOutcome(group, replies[g]);
      } catch (error) {
        // A reply this store cannot read fails its own caller only.
        return { ok: false, error };
      }
    });
  }

  /** One call, in the script made for it: REVOKE_BATCH or REINSTATE. */
  async #writeAlone(group: WriteGroup): Promise<WriteResult> {
    if (group.op === 'reinstate') {
      const reply = await this.#call(
        () =>
          this.#scripts.revocastReinstate(
            ...this.#scriptKeys(),
            ...reinstateArgs(group.type, group.id, group.now),
            newEpoch(),
            this.#minStreamId(group.now),
            this.#keys.channel,
            this.#publishCommand,
          ) as Promise<ScriptReply>,
      );
      if (reply[0] !== 1) return null;
      return { record: JSON.parse(reply[1]) as RevocationRecord, offset: Number(reply[2]) };
    }
    const { plans, now } = group;
    const args: string[] = [newEpoch(), this.#minStreamId(now), this.#keys.channel, String(plans.length), this.#publishCommand];
    for (const plan of plans) args.push(...revokeArgs(plan, now));
    const reply = await this.#call(
      () => this.#scripts.revocastRevokeBatch(...this.#scriptKeys(), ...args) as Promise<Array<string | number>>,
    );
    const results: RevokeResult[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      results.push({ changed: reply[i] === 1, record: JSON.parse(String(reply[i + 1])) as RevocationRecord });
    }
    const changed = results.filter((result) => result.changed).length;
    const first = reply[0] === '' ? null : Number(reply[0]);
    return { results, offsets: first === null ? null : { first, last: first + changed - 1 } };
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
    const rows = await this.#call(() => this.#redis.zrangebylex(this.#keys.bySub, min, `(${sub}\x01`, 'LIMIT', 0, query.limit));
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
    const [next, flat] = await this.#call(() => this.#redis.zscan(this.#keys.entries, cursor, 'MATCH', match, 'COUNT', query.limit));
    const members = flat.filter((_, i) => i % 2 === 0);
    return { items: await this.#records(members), nextCursor: next === '0' ? null : encodeCursor({ c: next }) };
  }

  async #records(members: readonly string[]): Promise<RevocationRecord[]> {
    if (members.length === 0) return [];
    const rows = await this.#call(() => this.#redis.hmget(this.#keys.details, ...members));
    return rows.filter((row): row is string => row !== null).map((row) => JSON.parse(row) as RevocationRecord);
  }

  async counts(): Promise<Record<RevocationType, number>> {
    const values = await this.#call(() => this.#redis.hmget(this.#keys.meta, ...REVOCATION_TYPES.map((type) => META.liveCount(type))));
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

/** One group's answer in a WRITE_GROUPS reply, as its caller gets it: a result, or the refusal of an id. */
function groupOutcome(group: WriteGroup, reply: Array<string | number> | undefined): WriteOutcome<WriteResult> {
  if (reply === undefined) throw new StoreUnavailableError('redis: the write answered fewer calls than it carried');
  if (reply[0] === 'refused') return { ok: false, error: new InvalidIdError(String(reply[1]), 'is refused by the Redis writer') };
  const items: Array<{ changed: boolean; record: string; offset: number | null }> = [];
  for (let i = 0; i + 2 < reply.length; i += 3) {
    items.push({ changed: reply[i] === 1, record: String(reply[i + 1]), offset: reply[i + 2] === '' ? null : Number(reply[i + 2]) });
  }
  if (group.op === 'reinstate') {
    const [item] = items;
    return {
      ok: true,
      value: item?.changed === true ? { record: JSON.parse(item.record) as RevocationRecord, offset: item.offset as number } : null,
    };
  }
  // A group's changes are consecutive: no other group's runs between them.
  const offsets = items.flatMap((item) => (item.offset === null ? [] : [item.offset]));
  const first = offsets[0];
  const last = offsets.at(-1);
  return {
    ok: true,
    value: {
      results: items.map((item) => ({ changed: item.changed, record: JSON.parse(item.record) as RevocationRecord })),
      offsets: first === undefined || last === undefined ? null : { first, last },
    },
  };
}

/** The ARGV values of one item of REVOKE_BATCH, in the order the script reads them. */
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
    record.sub ?? '',
  ];
}

/** The ARGV values REINSTATE begins with: member, type, id, change JSON. */
function reinstateArgs(type: RevocationType, id: string, now: number): string[] {
  return [memberOf(type, id), type, id, encodeChange({ op: 'reinstate', type, id, at: now })];
}

interface Scripts {
  revocastReinstate(...args: string[]): Promise<unknown>;
  revocastPrune(...args: string[]): Promise<unknown>;
  revocastRevokeBatch(...args: string[]): Promise<unknown>;
  revocastWriteGroups(...args: string[]): Promise<unknown>;
  revocastEnsureHistory(...args: string[]): Promise<unknown>;
  revocastHeadWatermark(...args: string[]): Promise<unknown>;
}
