import { DURABLE_MARK } from './keys.js';
import { isEpoch, isStreamId, parseOffset, type Message } from './message.js';

/**
 * Where a verifier stands in the history: the last change it applied.
 * `epoch` is `null` while Redis holds no history at all.
 */
export interface Position {
  readonly epoch: string | null;
  readonly offset: number;
  readonly streamId: string;
}

export const START_POSITION: Position = { epoch: null, offset: 0, streamId: '0-0' };

/** What to do with a message that arrives on the channel. */
export type Step = 'apply' | 'duplicate' | 'gap' | 'reset';

/**
 * The ordering rule. The next offset is applied; an old one is a duplicate;
 * a jump means messages were missed (read them from the stream); another
 * epoch means the history was replaced (reload everything).
 */
export function nextStep(position: Position, message: Pick<Message, 'epoch' | 'offset'>): Step {
  if (message.epoch !== position.epoch) {
    // A history that starts while we know of none: nothing can have been missed.
    return position.epoch === null && message.offset === 1 ? 'apply' : 'reset';
  }
  if (message.offset <= position.offset) return 'duplicate';
  return message.offset === position.offset + 1 ? 'apply' : 'gap';
}

/** The head of the history as Redis reports it. */
export interface Head {
  readonly epoch: string | null;
  readonly offset: number;
  readonly streamId: string;
  /**
   * A durable record owns this history: offsets are the record's and only
   * grow, across epochs too, and the service re-seeds Redis when it shows
   * less than the record.
   */
  readonly durable?: boolean;
  /**
   * Read from a replica: it says what that replica holds, which may lag the
   * master, so it confirms nothing without a watermark written on the
   * master's side (by the service in either mode).
   */
  readonly fromReplica?: boolean;
  /**
   * What the record watermark said when the head was read (durable heads
   * only, and only from a service that writes one): the record's last
   * offset, and how old that statement was on Redis's clock.
   */
  readonly watermark?: { readonly offset: number; readonly ageMs: number };
}

/**
 * How a verifier's position compares with the head it just read. `lost`:
 * Redis holds less than we have seen, so its data is gone or old: it holds
 * no history although we followed one (a restart without persistence, a
 * flush), or, for a durable history, an offset below ours (a failover to a
 * replica that missed writes, which may even carry an earlier epoch).
 * Reloading would forget revocations, so keep the list we have, unconfirmed
 * (it turns stale after maxStaleness), until the service writes a history
 * that holds everything we have seen, then follow it.
 */
export type Standing = 'current' | 'behind' | 'reset' | 'lost';

export function compareHead(position: Position, head: Head): Standing {
  if (head.epoch === null && position.epoch !== null) return 'lost';
  if (head.durable === true && head.offset < position.offset) return 'lost';
  // Knowing no history yet, read it from its start; the stream says whether it still begins at offset 1.
  if (position.epoch === null && head.epoch !== null) return 'behind';
  if (head.epoch !== position.epoch) return 'reset';
  // Offsets that go backwards mean Redis lost writes (a restore or a failover).
  if (head.offset < position.offset) return 'reset';
  return head.offset > position.offset ? 'behind' : 'current';
}

/**
 * The head from the meta hash fields (`META`) `epoch`, `offset`,
 * `lastId` and `durable` ({@link DURABLE_MARK} when a durable record stands
 * behind it); throws when they are malformed.
 */
export function parseHead(epoch: string | null, offset: string | null, lastId: string | null, durable: string | null = null): Head {
  if (epoch === null) return { epoch: null, offset: 0, streamId: '0-0' };
  const parsedOffset = parseOffset(offset ?? '0');
  if (!isEpoch(epoch) || parsedOffset === undefined || (lastId !== null && !isStreamId(lastId))) {
    throw new Error(`revocation meta hash is malformed (epoch ${JSON.stringify(epoch)}, offset ${JSON.stringify(offset)})`);
  }
  const head = { epoch, offset: parsedOffset, streamId: lastId ?? '0-0' };
  return durable === DURABLE_MARK ? { ...head, durable: true } : head;
}
