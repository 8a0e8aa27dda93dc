import type { Entry } from './entry.js';
import type { Message } from './message.js';
import type { PresenceChannel } from './presence.js';
import type { Head, Position } from './sequence.js';
import type { RevocationType } from './entry.js';

/**
 * Where a verifier reads revocations from. Redis in production; the service's
 * in-memory store when both run in one process.
 */
export interface SyncSource {
  /**
   * Starts delivering channel messages to `onMessage` and resolves once the
   * subscription is live. `onResubscribed` runs each time the subscription is
   * re-established after a lost connection (messages may have been missed).
   */
  subscribe(onMessage: (raw: string) => void, onResubscribed: () => void): Promise<void>;
  /** The current head of the history. */
  head(): Promise<Head>;
  /**
   * Reads the head, then every live entry, handing them over in pages.
   * Resolves with the head read before the scan: changes made during the scan
   * may or may not be in it, so the caller replays the stream from that head.
   */
  snapshot(onEntries: (entries: readonly Entry[]) => void): Promise<Head>;
  /**
   * Loads the compact snapshot, when there is one that fits the history:
   * reads it, then the head, and hands the entries over in pages (after
   * `onSize` with how many of each type follow). Resolves with that head
   * (it dates the load) and the position the snapshot stands at (the replay
   * continues from there), or with `undefined` when there is no usable
   * snapshot; then whatever was handed over must be discarded and the
   * caller scans with {@link snapshot} instead. Sources without one scan.
   */
  compactSnapshot?(
    onEntries: (entries: readonly Entry[]) => void,
    onSize: (counts: Readonly<Record<RevocationType, number>>) => void,
  ): Promise<{ readonly head: Head; readonly from: Position } | undefined>;
  /**
   * Up to `count` changes after `streamId`, oldest first. Never passes over
   * an entry it cannot decode: it throws {@link UndecodableChangeError}
   * carrying the changes before that entry.
   */
  readAfter(streamId: string, count: number): Promise<readonly Message[]>;
  /** Releases what the source opened itself. */
  close(): Promise<void>;
  /** Where the verifier reports itself and answers acknowledgement requests; without it, it stays invisible to the service. */
  readonly presence?: PresenceChannel;
}

/**
 * The history holds a change that cannot be decoded (corrupted, or written
 * by a broken or newer writer). A verifier must not advance past it: what
 * it would have revoked is unknown.
 */
export class UndecodableChangeError extends Error {
  /** Stream id of the entry that cannot be decoded. */
  readonly streamId: string;
  /** The changes before it in the same read, decoded; they can still be applied. */
  readonly before: readonly Message[];

  constructor(streamId: string, before: readonly Message[]) {
    super(`the revocation stream entry ${streamId} cannot be decoded`);
    this.name = 'UndecodableChangeError';
    this.streamId = streamId;
    this.before = before;
  }
}
