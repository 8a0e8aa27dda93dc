import type { Ack, Head, Message, VerifierReport } from '@revocast/verifier-sdk/protocol';

/** The head of the history and every verifier whose report has not expired. */
export interface FleetSnapshot {
  readonly head: Head;
  readonly reports: readonly VerifierReport[];
}

/**
 * The service's view of the verifiers: who is live (their heartbeat reports),
 * acknowledgements on request, and the changes as they are published.
 * `RedisFleet` in production, `MemoryFleet` next to the in-memory store.
 */
export interface VerifierFleet {
  snapshot(): Promise<FleetSnapshot>;
  /** The first change after `streamId`, to date how long a lagging verifier has been behind. */
  changeAfter(streamId: string): Promise<Message | undefined>;
  /** Asks every verifier to acknowledge once it has applied `offset` of `epoch`. */
  requestAck(epoch: string, offset: number): Promise<void>;
  /** Resolves once listening, with a function that stops listening. */
  onAck(listener: (ack: Ack) => void): Promise<() => void>;
  /** Every change published, by any service instance. Resolves once listening. */
  onChange(listener: (message: Message) => void): Promise<() => void>;
  close(): Promise<void>;
}
