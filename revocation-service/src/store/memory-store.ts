import {
  UndecodableChangeError,
  cutoffOf,
  decodeLogEntry,
  encodeChange,
  encodeLogEntry,
  encodeMessage,
  encodeMessages,
  memberOf,
  reachOf,
  widens,
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

/** A stream entry, in the fields a Redis stream holds, and when its change was made (for trimming). */
interface LogEntry {
  readonly streamId: string;
  readonly fields: readonly string[];
  readonly at: number;
  readonly offset: number;
}

function entryOf(record: RevocationRecord): Entry {
  return record.type === 'subject'
    ? { type: 'subject', id: record.id, pruneAt: record.pruneAt, cutoff: cutoffOf(record) }
    : { type: record.type, id: record.id, pruneAt: record.pruneAt };
}

/**
 * An in-process store for one process running the service and its verifiers
 * together (the demo, tests). It follows the Redis store's rules exactly
 * (offsets, epoch, the protocol's widening rule, the stream) and speaks the
 * same wire: messages and stream entries are encoded by the protocol's
 * encoders and read back by its decoders. Nothing leaves the process and
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
      if (previous !== undefined && !widens(reachOf(previous), plan.rank)) {
        results.push({ changed: false, record: previous });
        continue;
      }
      const changeJson = encodeChange({ op: 'revoke', entry: plan.entry, at: context.now });
      const offset = this.#append(changeJson, context.now);
      changeJsons.push(changeJson);
      const record = { offset, ...plan.record };
      this.#records.set(member, record);
      results.push({ changed: true, record });
    }
    if (changeJsons.length === 0) return { results, offsets: null };
    // One message for the whole batch, as the Redis store publishes it.
    this.#broadcast(encodeMessages(this.#epoch, first, streamIdOf(first), changeJsons));
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
    const changeJson = encodeChange(change);
    const offset = this.#append(changeJson, change.at);
    this.#broadcast(encodeMessage(this.#epoch, offset, streamIdOf(offset), changeJson));
    return offset;
  }

  /** Adds the change to the history, as the stream entry a Redis writer would add. */
  #append(changeJson: string, at: number): number {
    const offset = ++this.#offset;
    this.#log.push({ streamId: streamIdOf(offset), fields: encodeLogEntry(this.#epoch, offset, changeJson), at, offset });
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
    const firstKept = this.#log.findIndex((entry) => entry.at >= keepAfter);
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
      : { epoch: this.#epoch, offset: this.#offset, streamId: streamIdOf(this.#offset) };
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
        const first = this.#log[0]?.offset ?? this.#offset + 1;
        const start = Math.max(0, after + 1 - first);
        // Decoded as a verifier decodes Redis's stream: never past an entry it cannot read.
        const messages: Message[] = [];
        for (const entry of this.#log.slice(start, start + count)) {
          const message = decodeLogEntry(entry.streamId, entry.fields);
          if (message === undefined) throw new UndecodableChangeError(entry.streamId, messages);
          messages.push(message);
        }
        return messages;
      },
      close: async () => {
        if (subscribed !== undefined) this.#listeners.delete(subscribed);
      },
    };
  }
}

/** Stream ids of the in-process history: `0-<offset>`, in order like Redis's. */
function streamIdOf(offset: number): string {
  return `0-${offset}`;
}
