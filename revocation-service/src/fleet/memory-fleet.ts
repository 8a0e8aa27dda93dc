import {
  decodeMessages,
  type Ack,
  type Message,
  type PresenceChannel,
  type SyncSource,
  type VerifierReport,
} from '@revocast/verifier-sdk/protocol';
import type { MemoryStore } from '../store/memory-store.js';
import type { FleetSnapshot, VerifierFleet } from './verifier-fleet.js';

/**
 * The verifier fleet of one process, next to a {@link MemoryStore}: verifiers
 * built on {@link MemoryFleet.feed} report here instead of to Redis, with the
 * same expiry and acknowledgement rules.
 */
export class MemoryFleet implements VerifierFleet {
  readonly #store: MemoryStore;
  readonly #source: SyncSource;
  readonly #clock: () => number;
  readonly #reports = new Map<string, { report: VerifierReport; expiresAt: number }>();
  readonly #ackRequestListeners = new Set<(epoch: string, offset: number) => void>();
  readonly #ackListeners = new Set<(ack: Ack) => void>();
  readonly #changeListeners = new Set<(message: Message) => void>();
  #listening: Promise<void> | undefined;

  constructor(store: MemoryStore, clock: () => number = Date.now) {
    this.#store = store;
    this.#source = store.feed();
    this.#clock = clock;
  }

  /** A source for one verifier in this process, reporting to this fleet. */
  feed(): SyncSource {
    const presence: PresenceChannel = {
      announce: async (report, ttlMs) => {
        this.#reports.set(report.id, { report, expiresAt: this.#clock() + ttlMs });
      },
      withdraw: async (id) => {
        this.#reports.delete(id);
      },
      onAckRequest: async (onRequest) => {
        this.#ackRequestListeners.add(onRequest);
      },
      // Delivered after the caller's turn, as pub/sub would.
      acknowledge: async (ack) => {
        queueMicrotask(() => {
          for (const listener of this.#ackListeners) listener(ack);
        });
      },
    };
    return { ...this.#store.feed(), presence };
  }

  async snapshot(): Promise<FleetSnapshot> {
    const now = this.#clock();
    const reports: VerifierReport[] = [];
    for (const [id, { report, expiresAt }] of this.#reports) {
      if (expiresAt <= now) this.#reports.delete(id);
      else reports.push(report);
    }
    return { head: await this.#source.head(), reports };
  }

  async changeAfter(streamId: string): Promise<Message | undefined> {
    return (await this.#source.readAfter(streamId, 1))[0];
  }

  async requestAck(epoch: string, offset: number): Promise<void> {
    queueMicrotask(() => {
      for (const listener of this.#ackRequestListeners) listener(epoch, offset);
    });
  }

  async onAck(listener: (ack: Ack) => void): Promise<() => void> {
    this.#ackListeners.add(listener);
    return () => this.#ackListeners.delete(listener);
  }

  async onChange(listener: (message: Message) => void): Promise<() => void> {
    this.#listening ??= this.#source.subscribe(
      (raw) => {
        // One message may carry a batch: every change of it, in order.
        for (const message of decodeMessages(raw) ?? []) for (const each of this.#changeListeners) each(message);
      },
      () => {},
    );
    await this.#listening;
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#ackListeners.clear();
    this.#changeListeners.clear();
    this.#ackRequestListeners.clear();
    await this.#source.close();
  }
}
