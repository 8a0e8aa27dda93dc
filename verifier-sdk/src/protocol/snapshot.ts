import { MAX_ID_LENGTH, type Entry, type RevocationType } from './entry.js';
import { isEpoch, isStreamId, parseOffset } from './message.js';
import type { Head } from './sequence.js';

/**
 * The compact snapshot: the whole live list at one offset of one epoch, in
 * a few bulk reads instead of a scan of every entry, so that a verifier
 * joining a large list costs Redis (and itself) a fraction of a scan.
 *
 * A service replica writes it in the background. It is stored as chunks
 * (`RedisKeys.snapshotChunk(id, i)`, strings), each a self-contained
 * segment of entries encoded (and compressed) on its own, so a reader can
 * fetch, inflate and load them one after another, overlapping the three;
 * and a manifest (`RedisKeys.snapshot`, a hash) that names them, the
 * position the snapshot stands at and a SHA-256 of the stored bytes. A
 * verifier uses it only when it fits the history it reads
 * ({@link snapshotFits}), then replays the stream from the snapshot's
 * position exactly as after a scan; anything off (an unknown format, a
 * missing chunk, a checksum or decoding failure, a stream that no longer
 * continues from it) and it scans instead.
 */

/** Version of the snapshot encoding; a verifier uses only formats it knows. */
export const SNAPSHOT_FORMAT = 1;
/**
 * Encoded bytes per segment (before compression) that a writer aims at:
 * large enough for few round trips, small enough that one read never holds
 * Redis for long and one segment never holds a reader's event loop.
 */
export const SNAPSHOT_SEGMENT_BYTES = 1 << 20;

export type SnapshotEncoding = 'deflate' | 'identity';

export interface SnapshotManifest {
  readonly format: number;
  /** Names this snapshot's chunk keys (16 to 64 hex digits). */
  readonly id: string;
  /** The position the snapshot stands at: every change up to `offset` of `epoch` is in it, none after. */
  readonly epoch: string;
  readonly offset: number;
  /** Stream id of the change at `offset` (`0-0` before the first), where the replay continues. */
  readonly streamId: string;
  /** Live entries of each type, over all chunks (so a reader can size its tables once). */
  readonly counts: Readonly<Record<RevocationType, number>>;
  readonly chunks: number;
  /** Bytes stored over all chunks. */
  readonly bytes: number;
  /** How each chunk stores its segment: `deflate` in the zlib format (RFC 1950), `identity` as encoded. */
  readonly encoding: SnapshotEncoding;
  /** SHA-256 of the stored bytes (all chunks in order), hex. */
  readonly sha256: string;
  /** When the writer made it, on its own clock (ms); for operators, never for decisions. */
  readonly createdAt: number;
}

/** Field names of the manifest hash. */
export const MANIFEST_FIELDS = {
  format: 'format',
  id: 'id',
  epoch: 'epoch',
  offset: 'offset',
  streamId: 'stream_id',
  tokens: 'tokens',
  sessions: 'sessions',
  subjects: 'subjects',
  chunks: 'chunks',
  bytes: 'bytes',
  encoding: 'encoding',
  sha256: 'sha256',
  createdAt: 'created_at',
} as const;

/** The manifest as field/value pairs for `HSET`. */
export function encodeManifest(m: SnapshotManifest): string[] {
  const f = MANIFEST_FIELDS;
  return [
    f.format,
    String(m.format),
    f.id,
    m.id,
    f.epoch,
    m.epoch,
    f.offset,
    String(m.offset),
    f.streamId,
    m.streamId,
    f.tokens,
    String(m.counts.token),
    f.sessions,
    String(m.counts.session),
    f.subjects,
    String(m.counts.subject),
    f.chunks,
    String(m.chunks),
    f.bytes,
    String(m.bytes),
    f.encoding,
    m.encoding,
    f.sha256,
    m.sha256,
    f.createdAt,
    String(m.createdAt),
  ];
}

const HEX_ID = /^[0-9a-f]{16,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Parses an `HGETALL` of the manifest; `undefined` when it is absent or anything about it is off. */
export function decodeManifest(hash: Readonly<Record<string, string>>): SnapshotManifest | undefined {
  const f = MANIFEST_FIELDS;
  const n = (field: string) => parseOffset(hash[field]);
  const [format, offset, token, session, subject, chunks, bytes, createdAt] = [
    f.format,
    f.offset,
    f.tokens,
    f.sessions,
    f.subjects,
    f.chunks,
    f.bytes,
    f.createdAt,
  ].map(n);
  const id = hash[f.id];
  const epoch = hash[f.epoch];
  const streamId = hash[f.streamId];
  const encoding = hash[f.encoding];
  const sha256 = hash[f.sha256];
  if (format === undefined || offset === undefined || chunks === undefined || bytes === undefined || createdAt === undefined)
    return undefined;
  if (token === undefined || session === undefined || subject === undefined) return undefined;
  if (typeof id !== 'string' || !HEX_ID.test(id) || !isEpoch(epoch) || !isStreamId(streamId)) return undefined;
  if ((encoding !== 'deflate' && encoding !== 'identity') || typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) return undefined;
  // Every chunk holds at least its count; a snapshot of an empty list has none.
  if ((chunks === 0) !== (token + session + subject === 0) || bytes < chunks) return undefined;
  return { format, id, epoch, offset, streamId, counts: { token, session, subject }, chunks, bytes, encoding, sha256, createdAt };
}

/** Entries in a snapshot. */
export function snapshotSize(manifest: SnapshotManifest): number {
  return manifest.counts.token + manifest.counts.session + manifest.counts.subject;
}

/** Why a snapshot cannot be used with a head, or `'fits'`. */
export type SnapshotFit = 'fits' | 'unknown-format' | 'other-epoch' | 'ahead-of-head';

/**
 * The rule that lets a verifier trust a snapshot: one of a format it knows,
 * of the epoch it reads, at or below the head it read first (a snapshot
 * ahead of the head belongs to a history Redis no longer holds). Whether
 * the stream still continues from the snapshot's position is proven by the
 * replay that follows it: the first change after it must be `offset + 1`.
 */
export function snapshotFits(manifest: SnapshotManifest, head: Head): SnapshotFit {
  if (manifest.format !== SNAPSHOT_FORMAT) return 'unknown-format';
  if (head.epoch !== manifest.epoch) return 'other-epoch';
  if (manifest.offset > head.offset) return 'ahead-of-head';
  return 'fits';
}

/*
 * Segment, format 1. Every integer is an unsigned LEB128 varint:
 *
 *   count
 *   count type codes             0 token, 1 session, 2 subject with its cutoff at or before
 *                                its prune time (as the service writes them), 3 subject
 *                                with its cutoff after it
 *   count id lengths             in UTF-16 code units
 *   count prune times            in ascending order: the first in ms, then each minus the one before
 *   one per subject, in order:   the distance between prune time and cutoff, in ms
 *   the ids                      UTF-8, concatenated, to the end of the segment
 *
 * Entries are sorted by prune time, so the deltas are small. Every number
 * stays within 2^53 - 1, so a reader in any language can use doubles or
 * 64-bit integers. Columns of like values compress far better than records,
 * and one UTF-8 string for every id decodes in one call.
 */

const TYPES: readonly RevocationType[] = ['token', 'session', 'subject', 'subject'];

function typeCode(entry: Entry): number {
  if (entry.type === 'token') return 0;
  if (entry.type === 'session') return 1;
  return (entry.cutoff ?? entry.pruneAt) <= entry.pruneAt ? 2 : 3;
}

class Writer {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  varint(value: number): void {
    this.#room(8);
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }

  byte(value: number): void {
    this.#room(1);
    this.bytes[this.length++] = value;
  }

  utf8(text: string): void {
    this.#room(text.length * 3);
    this.length += new TextEncoder().encodeInto(text, this.bytes.subarray(this.length)).written;
  }
}

/** Encodes live entries as one snapshot segment (format 1); decoding gives them back in prune-time order. */
export function encodeSnapshotSegment(unsorted: readonly Entry[]): Uint8Array {
  const entries = unsorted.slice().sort((a, b) => a.pruneAt - b.pruneAt);
  const w = new Writer();
  w.varint(entries.length);
  for (const e of entries) w.byte(typeCode(e));
  for (const e of entries) w.varint(e.id.length);
  let previous = 0;
  for (const e of entries) {
    w.varint(e.pruneAt - previous);
    previous = e.pruneAt;
  }
  for (const e of entries) if (e.type === 'subject') w.varint(Math.abs(e.pruneAt - (e.cutoff ?? e.pruneAt)));
  let ids = '';
  // Joined in pieces: one huge concatenation chain would be a deep rope to flatten.
  const PIECE = 4096;
  for (let i = 0; i < entries.length; i += PIECE) {
    let piece = '';
    for (let j = i; j < Math.min(entries.length, i + PIECE); j++) piece += (entries[j] as Entry).id;
    ids += piece;
  }
  w.utf8(ids);
  return w.bytes.slice(0, w.length);
}

/** Bytes of `text` in UTF-8 (lone surrogates, which no valid id holds, count as 3). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    // A surrogate pair is 4 bytes for 2 units; anything else from U+0080 is 2 or 3 bytes for 1 unit.
    bytes += unit < 0x800 ? 1 : unit >= 0xd800 && unit < 0xdc00 ? 1 : unit >= 0xdc00 && unit < 0xe000 ? 1 : 2;
  }
  return bytes;
}

/**
 * Splits entries into segments of at most about {@link SNAPSHOT_SEGMENT_BYTES}
 * encoded bytes each (an id's UTF-8 bytes, plus at most 21 for its type,
 * length, time and cutoff).
 */
export function planSegments(entries: readonly Entry[], segmentBytes = SNAPSHOT_SEGMENT_BYTES): Entry[][] {
  const segments: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = utf8Length(entry.id) + 21;
    if (current.length > 0 && bytes + size > segmentBytes) {
      segments.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/** A segment is not one of format 1. */
export class SnapshotDecodeError extends Error {
  constructor(message: string) {
    super(`snapshot segment is malformed: ${message}`);
    this.name = 'SnapshotDecodeError';
  }
}

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.bytes[this.at++];
      if (b === undefined) throw new SnapshotDecodeError('it ends inside a number');
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(value)) break;
        return value;
      }
      scale *= 0x80;
    }
    throw new SnapshotDecodeError('a number is too large');
  }
}

/**
 * Decodes one snapshot segment into its entries. The whole segment is
 * checked first: a malformed one throws {@link SnapshotDecodeError}.
 */
export function decodeSnapshotSegment(body: Uint8Array): Entry[] {
  const r = new Reader(body);
  const count = r.varint();
  // Each entry takes at least a type byte, a length, a time and one byte of id.
  if (count * 4 > body.length) throw new SnapshotDecodeError('it claims more entries than it can hold');
  const types = body.subarray(r.at, r.at + count);
  r.at += count;
  const lengths = new Uint16Array(count);
  let total = 0;
  let subjects = 0;
  for (let i = 0; i < count; i++) {
    const code = types[i] as number;
    if (code > 3) throw new SnapshotDecodeError(`unknown type code ${code}`);
    if (code >= 2) subjects++;
    const length = r.varint();
    if (length < 1 || length > MAX_ID_LENGTH) throw new SnapshotDecodeError(`an id length of ${length}`);
    lengths[i] = length;
    total += length;
  }
  const pruneAt = new Float64Array(count);
  let previous = 0;
  for (let i = 0; i < count; i++) {
    previous += r.varint();
    if (!Number.isSafeInteger(previous)) throw new SnapshotDecodeError('a prune time out of range');
    pruneAt[i] = previous;
  }
  const cutoffs = new Float64Array(subjects);
  for (let i = 0, s = 0; i < count; i++) {
    const code = types[i] as number;
    if (code < 2) continue;
    const distance = r.varint();
    const cutoff = code === 2 ? (pruneAt[i] as number) - distance : (pruneAt[i] as number) + distance;
    if (!Number.isSafeInteger(cutoff) || cutoff < 0) throw new SnapshotDecodeError('a cutoff out of range');
    cutoffs[s++] = cutoff;
  }
  let ids: string;
  try {
    ids = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body.subarray(r.at));
  } catch {
    throw new SnapshotDecodeError('the ids are not UTF-8');
  }
  if (ids.length !== total) throw new SnapshotDecodeError(`the ids hold ${ids.length} code units, the lengths ${total}`);
  // Checked: from here on nothing can fail.
  let at = 0;
  let subject = 0;
  const entries: Entry[] = new Array<Entry>(count);
  for (let i = 0; i < count; i++) {
    const type = TYPES[types[i] as number] as RevocationType;
    const id = ids.slice(at, at + (lengths[i] as number));
    at += lengths[i] as number;
    const prune = pruneAt[i] as number;
    if (type === 'subject') {
      entries[i] = { type, id, pruneAt: prune, cutoff: cutoffs[subject++] as number };
    } else {
      entries[i] = { type, id, pruneAt: prune };
    }
  }
  return entries;
}
