import { MESSAGE_SEPARATOR, encodePosition, isEpoch, isStreamId, parseOffset, type Message } from '@revocast/verifier-sdk/protocol';

/** Where a change sits: its epoch and offset (for people) and its Redis stream id (to resume from). */
export interface ChangePosition {
  readonly epoch: string;
  readonly offset: number;
  readonly streamId: string;
}

/**
 * The Server-Sent Events `id` of a change: `<epoch>:<offset>:<streamId>`, the
 * protocol's position of the change (as its channel message begins). A
 * client that reconnects sends it back as `Last-Event-ID`, and the stream id
 * in it is where the replay from the Redis stream starts.
 */
export function changeEventId(message: ChangePosition): string {
  return encodePosition(message.epoch, message.offset, message.streamId);
}

/** The position in a `Last-Event-ID`, or undefined when it is not one this service sent. */
export function parseChangeEventId(value: string): ChangePosition | undefined {
  const [epoch, offsetText, streamId, extra] = value.split(MESSAGE_SEPARATOR);
  const offset = parseOffset(offsetText);
  if (extra !== undefined || !isEpoch(epoch) || offset === undefined || !isStreamId(streamId)) return undefined;
  return { epoch, offset, streamId };
}

/** True when stream id `a` comes after `b` (milliseconds, then sequence; both may exceed 2^53). */
export function streamIdAfter(a: string, b: string): boolean {
  const [aMs, aSeq] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split('-').map(BigInt) as [bigint, bigint];
  return aMs === bMs ? aSeq > bSeq : aMs > bMs;
}

/**
 * Whether a live change still has to be sent after `last` was: changes of the
 * same epoch at or before it were already sent by the replay. A change of
 * another epoch (Redis lost its data and started again) is always sent.
 */
export function isNewerThan(message: Pick<Message, 'epoch' | 'streamId'>, last: ChangePosition | undefined): boolean {
  return last === undefined || message.epoch !== last.epoch || streamIdAfter(message.streamId, last.streamId);
}
