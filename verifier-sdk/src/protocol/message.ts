import { changeFromWire, decodeChange, type Change } from './change.js';
import { LOG_FIELDS } from './keys.js';

/**
 * A change with its place in the ordered history.
 *
 * On the channel it travels as `<epoch>:<offset>:<streamId>:<change JSON>`.
 * The epoch names one history: it is created with the first change and
 * replaced whenever the data in Redis is lost or re-seeded. The offset
 * counts changes within an epoch, from 1, without gaps. The stream id is
 * where the change sits in the Redis stream, so a verifier that misses
 * messages can read on from exactly there.
 */
export interface Message {
  readonly epoch: string;
  readonly offset: number;
  readonly streamId: string;
  readonly change: Change;
}

const EPOCH_PATTERN = /^[0-9a-f]{16,64}$/;
const STREAM_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;

export function isEpoch(value: unknown): value is string {
  return typeof value === 'string' && EPOCH_PATTERN.test(value);
}

export function isStreamId(value: unknown): value is string {
  return typeof value === 'string' && STREAM_ID_PATTERN.test(value);
}

/** Offsets are 64-bit in Redis; JavaScript keeps them exact up to 2^53 - 1. */
export function parseOffset(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return undefined;
  const offset = Number(value);
  return Number.isSafeInteger(offset) ? offset : undefined;
}

/** Between the parts of a channel message: `<epoch>:<offset>:<streamId>:<body>`. Only the body may contain it. */
export const MESSAGE_SEPARATOR = ':';

/**
 * Where a change sits, as a channel message begins: `<epoch>:<offset>:<streamId>`.
 * The service's change stream names its events by it too.
 */
export function encodePosition(epoch: string, offset: number, streamId: string): string {
  return `${epoch}${MESSAGE_SEPARATOR}${offset}${MESSAGE_SEPARATOR}${streamId}`;
}

/** The channel message of one change: `<epoch>:<offset>:<streamId>:<change JSON>`. */
export function encodeMessage(epoch: string, offset: number, streamId: string, changeJson: string): string {
  return `${encodePosition(epoch, offset, streamId)}${MESSAGE_SEPARATOR}${changeJson}`;
}

/**
 * Encodes consecutive changes (a batch) as one channel message:
 * `<epoch>:<first offset>:<first stream id>:[<change JSON>,…]`. Change i has
 * offset `first + i` and stream id `<ms>-<seq + i>`, where `<ms>-<seq>` is
 * the first one's: the writer gives the stream entries exactly those ids.
 */
export function encodeBatchMessage(epoch: string, offset: number, streamId: string, changeJsons: readonly string[]): string {
  return encodeMessage(epoch, offset, streamId, `[${changeJsons.join(',')}]`);
}

/**
 * The one message that carries consecutive changes: a single message for
 * one change, a batch message for more. Every writer publishes this way, so
 * the bytes on the channel do not depend on which writer made the change.
 */
export function encodeMessages(epoch: string, offset: number, streamId: string, changeJsons: readonly string[]): string {
  if (changeJsons.length === 0) throw new RangeError('a message carries at least one change');
  return changeJsons.length === 1
    ? encodeMessage(epoch, offset, streamId, changeJsons[0] as string)
    : encodeBatchMessage(epoch, offset, streamId, changeJsons);
}

interface Header {
  readonly epoch: string;
  readonly offset: number;
  readonly streamId: string;
  readonly body: string;
}

function decodeHeader(raw: string): Header | undefined {
  const first = raw.indexOf(MESSAGE_SEPARATOR);
  const second = raw.indexOf(MESSAGE_SEPARATOR, first + 1);
  const third = raw.indexOf(MESSAGE_SEPARATOR, second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  const epoch = raw.slice(0, first);
  const offset = parseOffset(raw.slice(first + 1, second));
  const streamId = raw.slice(second + 1, third);
  if (!isEpoch(epoch) || offset === undefined || offset < 1 || !isStreamId(streamId)) return undefined;
  return { epoch, offset, streamId, body: raw.slice(third + 1) };
}

/**
 * Parses a single channel message; `undefined` when it is malformed, and
 * for a batch message too. Whoever reads the channel reads batches as well:
 * use {@link decodeMessages}.
 */
export function decodeMessage(raw: string): Message | undefined {
  const header = decodeHeader(raw);
  if (header === undefined) return undefined;
  const change = decodeChange(header.body);
  return change === undefined ? undefined : { epoch: header.epoch, offset: header.offset, streamId: header.streamId, change };
}

/**
 * Parses a channel message, single or batch, into its changes in order, each
 * with its own offset and stream id; `undefined` when any part is malformed.
 */
export function decodeMessages(raw: string): Message[] | undefined {
  const header = decodeHeader(raw);
  if (header === undefined) return undefined;
  const { epoch, offset, streamId, body } = header;
  if (!body.startsWith('[')) {
    const change = decodeChange(body);
    return change === undefined ? undefined : [{ epoch, offset, streamId, change }];
  }
  let wire: unknown;
  try {
    wire = JSON.parse(body);
  } catch {
    return undefined;
  }
  const dash = streamId.indexOf('-');
  const ms = streamId.slice(0, dash);
  const seq = Number(streamId.slice(dash + 1));
  if (
    !Array.isArray(wire) ||
    wire.length === 0 ||
    !Number.isSafeInteger(offset + wire.length) ||
    !Number.isSafeInteger(seq + wire.length)
  ) {
    return undefined;
  }
  const messages: Message[] = [];
  for (let i = 0; i < wire.length; i++) {
    const change = changeFromWire(wire[i]);
    if (change === undefined) return undefined;
    messages.push({ epoch, offset: offset + i, streamId: `${ms}-${seq + i}`, change });
  }
  return messages;
}

/**
 * The fields of the stream entry that holds a change, in the order writers
 * add them (`XADD <log> <id> e <epoch> o <offset> c <change JSON>`).
 */
export function encodeLogEntry(epoch: string, offset: number, changeJson: string): string[] {
  return [LOG_FIELDS.epoch, epoch, LOG_FIELDS.offset, String(offset), LOG_FIELDS.change, changeJson];
}

/** Parses one entry of the Redis stream (`XRANGE` reply); fields it does not know are ignored. */
export function decodeLogEntry(streamId: string, fields: readonly string[]): Message | undefined {
  let epoch: string | undefined;
  let offsetText: string | undefined;
  let changeJson: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case LOG_FIELDS.epoch:
        epoch = value;
        break;
      case LOG_FIELDS.offset:
        offsetText = value;
        break;
      case LOG_FIELDS.change:
        changeJson = value;
        break;
    }
  }
  const offset = parseOffset(offsetText);
  if (!isEpoch(epoch) || offset === undefined || changeJson === undefined || !isStreamId(streamId)) return undefined;
  const change = decodeChange(changeJson);
  return change === undefined ? undefined : { epoch, offset, streamId, change };
}
