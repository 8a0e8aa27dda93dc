import { createHash } from 'node:crypto';
import { inflate } from 'node:zlib';
import {
  decodeManifest,
  decodeSnapshotSegment,
  snapshotFits,
  type Entry,
  type Head,
  type Position,
  type RedisKeys,
  type RevocationType,
  type SnapshotManifest,
} from '../protocol/index.js';
import type { RedisClient } from './redis-connection.js';

/** Why a compact snapshot was not used; the verifier scans instead. */
export type SnapshotMiss =
  | 'none'
  | 'malformed-manifest'
  | 'unknown-format'
  | 'other-epoch'
  | 'ahead-of-head'
  | 'chunk-missing'
  | 'checksum'
  | 'undecodable';

export type SnapshotRead =
  | { readonly head: Head; readonly from: Position; readonly manifest: SnapshotManifest }
  | { readonly miss: SnapshotMiss; readonly head?: Head };

/** Chunks fetched ahead of the one being loaded: Redis, the thread pool and the event loop each have one to work on. */
const AHEAD = 2;

function inflated(bytes: Buffer): Promise<Buffer> {
  // Asynchronous: zlib runs on libuv's thread pool, beside the event loop that loads the previous chunk.
  return new Promise((resolve, reject) => inflate(bytes, (err, out) => (err === null ? resolve(out) : reject(err))));
}

/**
 * Reads the compact snapshot: the manifest first, then the head (so a
 * snapshot of the history the head names is never ahead of it), then the
 * chunks, up to {@link AHEAD} in flight, each inflated on the thread pool
 * and decoded while the next ones arrive. The SHA-256 of the stored bytes
 * is checked once the last chunk is in; until then nothing handed over may
 * be trusted, and on any miss the caller discards it.
 */
export async function readSnapshot(options: {
  readonly client: RedisClient;
  readonly keys: RedisKeys;
  readonly head: () => Promise<Head>;
  readonly within: <T>(work: Promise<T>, what: string) => Promise<T>;
  readonly onSize: (counts: Readonly<Record<RevocationType, number>>) => void;
  readonly onEntries: (entries: readonly Entry[]) => void;
}): Promise<SnapshotRead> {
  const { client, keys, within } = options;
  const hash = await within(client.hgetall(keys.snapshot), 'the snapshot manifest read');
  const head = await options.head();
  if (Object.keys(hash).length === 0) return { miss: 'none', head };
  const manifest = decodeManifest(hash);
  if (manifest === undefined) return { miss: 'malformed-manifest', head };
  const fit = snapshotFits(manifest, head);
  if (fit !== 'fits') return { miss: fit, head };

  options.onSize(manifest.counts);
  const digest = createHash('sha256');
  const fetch = (index: number) => {
    const read = within(client.getBuffer(keys.snapshotChunk(manifest.id, index)), 'a snapshot chunk read');
    // A read fetched ahead may fail while an earlier chunk is still loading; its own failure must not go unhandled.
    read.catch(() => {});
    return read;
  };
  const pending: Array<Promise<Buffer | null>> = [];
  for (let i = 0; i < Math.min(AHEAD, manifest.chunks); i++) pending.push(fetch(i));
  let loaded = 0;
  let bytes = 0;
  for (let index = 0; index < manifest.chunks; index++) {
    const stored = await (pending.shift() as Promise<Buffer | null>);
    if (index + AHEAD < manifest.chunks) pending.push(fetch(index + AHEAD));
    // Replaced and expired while we read, or lost: scan instead.
    if (stored === null) return { miss: 'chunk-missing', head };
    digest.update(stored);
    bytes += stored.length;
    let entries: Entry[];
    try {
      entries = decodeSnapshotSegment(manifest.encoding === 'deflate' ? await inflated(stored) : stored);
    } catch {
      return { miss: 'undecodable', head };
    }
    loaded += entries.length;
    options.onEntries(entries);
  }
  const total = manifest.counts.token + manifest.counts.session + manifest.counts.subject;
  if (bytes !== manifest.bytes || digest.digest('hex') !== manifest.sha256) return { miss: 'checksum', head };
  if (loaded !== total) return { miss: 'undecodable', head };
  return { head, from: { epoch: manifest.epoch, offset: manifest.offset, streamId: manifest.streamId }, manifest };
}
