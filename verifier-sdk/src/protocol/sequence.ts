import type { Message } from './message.js';

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
}

/**
 * How a verifier's position compares with the head it just read. `lost`:
 * Redis holds no history although we followed one, so its data is gone
 * (a restart without persistence, a flush). The list we have is still the
 * best knowledge there is: keep it, unconfirmed, until the service writes a
 * new history (it re-seeds one from its record), then reload.
 */
export type Standing = 'current' | 'behind' | 'reset' | 'lost';

export function compareHead(position: Position, head: Head): Standing {
  if (head.epoch === null && position.epoch !== null) return 'lost';
  // Knowing no history yet, read it from its start; the stream says whether it still begins at offset 1.
  if (position.epoch === null && head.epoch !== null) return 'behind';
  if (head.epoch !== position.epoch) return 'reset';
  // Offsets that go backwards mean Redis lost writes (a restore or a failover).
  if (head.offset < position.offset) return 'reset';
  return head.offset > position.offset ? 'behind' : 'current';
}
