import { decodeChange, type Change } from './change.js';

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

export function encodeMessage(epoch: string, offset: number, streamId: string, changeJson: string): string {
  return `${epoch}:${offset}:${streamId}:${changeJson}`;
}

/** Parses a channel message; `undefined` when it is malformed. */
export function decodeMessage(raw: string): Message | undefined {
  const first = raw.indexOf(':');
  const second = raw.indexOf(':', first + 1);
  const third = raw.indexOf(':', second + 1);
  if (first < 0 || second < 0 || third < 0) return undefined;
  const epoch = raw.slice(0, first);
  const offset = parseOffset(raw.slice(first + 1, second));
  const streamId = raw.slice(second + 1, third);
  if (!isEpoch(epoch) || offset === undefined || offset < 1 || !isStreamId(streamId)) return undefined;
  const change = decodeChange(raw.slice(third + 1));
  return change === undefined ? undefined : { epoch, offset, streamId, change };
}

/** Parses one entry of the Redis stream (`XRANGE` reply). */
export function decodeLogEntry(streamId: string, fields: readonly string[]): Message | undefined {
  let epoch: string | undefined;
  let offsetText: string | undefined;
  let changeJson: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case 'e': epoch = value; break;
      case 'o': offsetText = value; break;
      case 'c': changeJson = value; break;
    }
  }
  const offset = parseOffset(offsetText);
  if (!isEpoch(epoch) || offset === undefined || changeJson === undefined || !isStreamId(streamId)) return undefined;
  const change = decodeChange(changeJson);
  return change === undefined ? undefined : { epoch, offset, streamId, change };
}
