import {
  encodeBatchMessage,
  encodeChange,
  encodeMessage,
  memberOf,
  type Change,
  type Entry,
  type Head,
  type Message,
  type RevocationType,
  type SyncSource,
} from '@revocast/verifier-sdk/protocol';
import type { RevocationPlan, RevocationRecord } from '../model/revocation.js';
import {
  checkId,
  checkPlanIds,
  decodeCursor,
  encodeCursor,
  newEpoch,
  type ChangeContext,
  type ListPage,
  type ListQuery,
  type BatchRevokeResult,
  type ReinstateResult,
  type RevocationStore,
  type RevokeResult,
} from './revocation-store.js';

export interface MemoryStoreOptions {
  readonly maxTokenTtlMs: number;
  readonly retentionGraceMs: number;
}

interface LogEntry {
  readonly message: Message;
}

function entryOf(record: RevocationRecord): Entry {
  return record.type === 'subject'
    ? { type: 'subject', id: record.id, pruneAt: record.pruneAt, cutoff: record.cutoff ?? record.pruneAt }
    : { type: record.type, id: record.id, pruneAt: record.pruneAt };
}

/**
 * An in-process store for one process running the service and its verifiers
 * together (the demo, tests). It follows the Redis store's rules exactly
 * (offsets, epoch, widening, the stream) but nothing leaves the process and
 * nothing survives a restart.
 */
export class MemoryStore implements RevocationStore {
  readonly #epoch = newEpoch();
  readonly #records = new Map<string, RevocationRecord>();
  readonly #listeners = new Set<(raw: string) => void>();
  #log: LogEntry[] = [];
  #offset = 0;
  readonly #options: MemoryStoreOptions;

  constructor(options: MemoryStoreOptions) {
    this.#options = options;
  }

  async ready(): Promise<void> {}

  async revoke(plan: RevocationPlan, context: ChangeContext): Promise<RevokeResult> {
    const { results } = await this.revokeBatch([plan], context);
    return results[0] as RevokeResult;
  }

  async revokeBatch(plans: readonly RevocationPlan[], context: ChangeContext): Promise<BatchRevokeResult> {
    // All or nothing: every id is checked before anything is written.
    plans.forEach((plan, i) => checkPlanIds(plan, `items.${i}.`));
    const results: RevokeResult[] = [];
    const changeJsons: string[] = [];
    const first = this.#offset + 1;
    for (const plan of plans) {
      const member = memberOf(plan.entry.type, plan.entry.id);
      const previous = this.#records.get(member);
      if (previous !== undefined) {
        const previousRank = previous.type === 'subject' ? (previous.cutoff ?? 0) : previous.pruneAt;
        if (previousRank >= plan.rank) {
          results.push({ changed: false, record: previous });
          continue;
        }
      }
      const change: Change = { op: 'revoke', entry: plan.entry, at: context.now };
      const offset = this.#append(change);
      changeJsons.push(encodeChange(change));
      const record = { offset, ...plan.record };
      this.#records.set(member, record);
      results.push({ changed: true, record });
    }
    if (changeJsons.length === 0) return { results, offsets: null };
    // One message for the whole batch, as the Redis store publishes it.
    const raw =
      changeJsons.length === 1
        ? encodeMessage(this.#epoch, first, `0-${first}`, changeJsons[0] as string)
        : encodeBatchMessage(this.#epoch, first, `0-${first}`, changeJsons);
    this.#broadcast(raw);
    return { results, offsets: { first, last: this.#offset } };
  }

  async reinstate(type: RevocationType, id: string, context: ChangeContext): Promise<ReinstateResult | null> {
    checkId('id', id);
    const member = memberOf(type, id);
    const record = this.#records.get(member);
    if (record === undefined) return null;
    this.#records.delete(member);
    return { record, offset: this.#publish({ op: 'reinstate', type, id, at: context.now }) };
  }

  #publish(change: Change): number {
    const offset = this.#append(change);
    this.#broadcast(encodeMessage(this.#epoch, offset, `0-${offset}`, encodeChange(change)));
    return offset;
  }

  /** Adds the change to the history; stream ids are `0-<offset>`. */
  #append(change: Change): number {
    const offset = ++this.#offset;
    this.#log.push({ message: { epoch: this.#epoch, offset, streamId: `0-${offset}`, change } });
    return offset;
  }

  #broadcast(raw: string): void {
    // Delivered after the caller's turn, as pub/sub would.
    queueMicrotask(() => {
      for (const listener of this.#listeners) listener(raw);
    });
  }

  async get(type: RevocationType, id: string): Promise<RevocationRecord | null> {
    return this.#records.get(memberOf(type, id)) ?? null;
  }

  async list(query: ListQuery): Promise<ListPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'm');
    const members = [...this.#records.keys()]
      .filter((member) => {
        const record = this.#records.get(member) as RevocationRecord;
        return (query.type === undefined || record.type === query.type) && (query.sub === undefined || record.sub === query.sub);
      })
      .sort()
      .filter((member) => after === undefined || member > after);
    const page = members.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((member) => this.#records.get(member) as RevocationRecord),
      nextCursor: members.length > query.limit && last !== undefined ? encodeCursor({ m: last }) : null,
    };
  }

  async counts(): Promise<Record<RevocationType, number>> {
    const counts = { token: 0, subject: 0, session: 0 };
    for (const record of this.#records.values()) counts[record.type]++;
    return counts;
  }

  async prune(now: number): Promise<number> {
    let removed = 0;
    for (const [member, record] of this.#records) {
      if (record.pruneAt + this.#options.retentionGraceMs <= now) {
        this.#records.delete(member);
        removed++;
      }
    }
    const keepAfter = now - this.#options.maxTokenTtlMs - this.#options.retentionGraceMs;
    const firstKept = this.#log.findIndex((entry) => entry.message.change.at >= keepAfter);
    this.#log = firstKept < 0 ? [] : this.#log.slice(firstKept);
    return removed;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  #head(): Head {
    return this.#offset === 0
      ? { epoch: null, offset: 0, streamId: '0-0' }
      : { epoch: this.#epoch, offset: this.#offset, streamId: `0-${this.#offset}` };
  }

  /** A {@link SyncSource} for one verifier in this process; closing it only unsubscribes. */
  feed(): SyncSource {
    let subscribed: ((raw: string) => void) | undefined;
    return {
      subscribe: async (onMessage) => {
        subscribed = onMessage;
        this.#listeners.add(onMessage);
      },
      head: async () => this.#head(),
      snapshot: async (onEntries) => {
        const head = this.#head();
        onEntries([...this.#records.values()].map(entryOf));
        return head;
      },
      readAfter: async (streamId, count) => {
        const after = Number(streamId.split('-')[1]);
        const first = this.#log[0]?.message.offset ?? this.#offset + 1;
        const start = Math.max(0, after + 1 - first);
        return this.#log.slice(start, start + count).map((entry) => entry.message);
      },
      close: async () => {
        if (subscribed !== undefined) this.#listeners.delete(subscribed);
      },
    };
  }
}
