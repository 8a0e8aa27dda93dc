import { createHash, randomBytes } from 'node:crypto';
import { deflate } from 'node:zlib';
import type { RedisClient, RevocationMirror } from '@revocast/verifier-sdk';
import {
  MANIFEST_FIELDS,
  SNAPSHOT_FORMAT,
  encodeManifest,
  encodeSnapshotSegment,
  planSegments,
  redisKeys,
  type Entry,
  type Position,
  type RedisKeys,
  type RevocationType,
  type SnapshotManifest,
} from '@revocast/verifier-sdk/protocol';
import type { Logger } from 'pino';
import { NO_SNAPSHOT_METRICS, type SnapshotMetrics } from '../metrics/snapshot-metrics.js';
import { SWAP_SNAPSHOT } from './snapshot-scripts.js';

export interface SnapshotWriterOptions {
  /** Where the snapshot is written: the service's own connection. */
  readonly redis: RedisClient;
  readonly keyPrefix: string;
  /** The copy of the list the snapshot is taken from. */
  readonly mirror: RevocationMirror;
  readonly logger: Logger;
  /** Write a new snapshot once this many changes were made since the last... */
  readonly everyChanges: number;
  /** ...or once this long has passed with at least one change (and at once after a new epoch). */
  readonly everyMs: number;
  readonly clock?: () => number;
  readonly metrics?: SnapshotMetrics;
}

/** What one attempt to write came to. */
export type WriteResult = 'written' | 'not-in-history' | 'not-newer' | 'chunk-missing' | 'unchanged';

/** Chunks of a write that never becomes current disappear after this. */
const ABANDONED_CHUNK_TTL_MS = 3_600_000;
/** A replaced snapshot's chunks stay readable this long, for joins that started on it. */
const REPLACED_CHUNK_GRACE_MS = 300_000;

interface SwapScript {
  revocastSwapSnapshot(meta: string, manifest: string, base: string, grace: string, ...fields: string[]): Promise<string>;
}

function deflated(bytes: Uint8Array): Promise<Buffer> {
  // On the thread pool: compressing a large list must not hold the API's event loop.
  return new Promise((resolve, reject) => deflate(bytes, { level: 1 }, (err, out) => (err === null ? resolve(out) : reject(err))));
}

const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes the compact snapshot (see `SnapshotManifest` in the protocol) from
 * the service's mirror of the list, in the background: every `everyChanges`
 * changes or `everyMs` (whichever first, and only when something changed),
 * and at once when the history was replaced (a new epoch: a re-seed, or
 * Redis starting a new history). Every replica runs one; the swap script
 * keeps only the newest, so two replicas writing at once cost work, never
 * correctness. Segments are encoded between turns of the event loop and
 * compressed on the thread pool.
 */
export class SnapshotWriter {
  readonly #options: SnapshotWriterOptions;
  readonly #keys: RedisKeys;
  readonly #clock: () => number;
  readonly #metrics: SnapshotMetrics;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<WriteResult> | undefined;
  #changes = 0;
  #lastWrittenAt = Number.NEGATIVE_INFINITY;
  #last: Position | undefined;
  #stopped = false;
  #lastError = '';

  constructor(options: SnapshotWriterOptions) {
    this.#options = options;
    this.#keys = redisKeys(options.keyPrefix);
    this.#clock = options.clock ?? Date.now;
    this.#metrics = options.metrics ?? NO_SNAPSHOT_METRICS;
    options.redis.defineCommand('revocastSwapSnapshot', { numberOfKeys: 2, lua: SWAP_SNAPSHOT });
    options.mirror.onAdvanced(() => {
      this.#changes++;
    });
  }

  start(): void {
    this.#timer = setInterval(() => void this.#tick(), Math.min(1000, this.#options.everyMs));
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#writing?.catch(() => undefined);
  }

  /** Whether a snapshot is due now. */
  #due(position: Position): boolean {
    if (this.#last !== undefined && this.#last.epoch === position.epoch && this.#last.offset === position.offset) return false;
    if (this.#last === undefined || this.#last.epoch !== position.epoch) return true;
    return this.#changes >= this.#options.everyChanges || this.#clock() - this.#lastWrittenAt >= this.#options.everyMs;
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#writing !== undefined || this.#options.mirror.state === 'starting') return;
    if (!this.#due(this.#options.mirror.position)) return;
    try {
      await this.writeNow();
      this.#lastError = '';
    } catch (err) {
      this.#metrics.attempt('failed');
      const message = (err as Error).message;
      if (message !== this.#lastError) {
        this.#lastError = message;
        this.#options.logger.warn(
          { err },
          'could not write the compact snapshot; verifiers join by reading every entry until one is written',
        );
      }
    }
  }

  /** Writes a snapshot of the mirror as it stands now. */
  writeNow(): Promise<WriteResult> {
    this.#writing ??= this.#write().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #write(): Promise<WriteResult> {
    const { redis, mirror, logger } = this.#options;
    const keys = this.#keys;
    const started = this.#clock();
    const { position, entries } = mirror.read(started);
    if (position.epoch === null) {
      this.#metrics.attempt('unchanged');
      return 'unchanged';
    }
    const changesBefore = this.#changes;
    // Cheap first: another replica may have written this position (or a later one) already.
    const [currentEpoch, currentOffset] = await redis.hmget(keys.snapshot, MANIFEST_FIELDS.epoch, MANIFEST_FIELDS.offset);
    if (currentEpoch === position.epoch && Number(currentOffset) >= position.offset) {
      this.#wrote(position, changesBefore, started);
      this.#metrics.attempt('not-newer');
      return 'not-newer';
    }
    const id = randomBytes(12).toString('hex');
    const counts: Record<RevocationType, number> = { token: 0, session: 0, subject: 0 };
    for (const entry of entries) counts[entry.type]++;
    const digest = createHash('sha256');
    let bytes = 0;
    const segments = planSegments(entries as Entry[]);
    for (const [index, segment] of segments.entries()) {
      const stored = await deflated(encodeSnapshotSegment(segment));
      digest.update(stored);
      bytes += stored.length;
      await redis.set(keys.snapshotChunk(id, index), stored, 'PX', ABANDONED_CHUNK_TTL_MS);
      await yieldToIo();
    }
    const manifest: SnapshotManifest = {
      format: SNAPSHOT_FORMAT,
      id,
      epoch: position.epoch,
      offset: position.offset,
      streamId: position.streamId,
      counts,
      chunks: segments.length,
      bytes,
      encoding: 'deflate',
      sha256: digest.digest('hex'),
      createdAt: started,
    };
    const result = (await (redis as unknown as SwapScript).revocastSwapSnapshot(
      keys.meta,
      keys.snapshot,
      keys.snapshotChunkPrefix,
      String(REPLACED_CHUNK_GRACE_MS),
      ...encodeManifest(manifest),
    )) as WriteResult;
    if (result === 'written' || result === 'not-newer') this.#wrote(position, changesBefore, started);
    this.#metrics.attempt(result, result === 'written' ? { entries: entries.length, bytes } : undefined);
    const fields = {
      result,
      epoch: position.epoch,
      offset: position.offset,
      entries: entries.length,
      chunks: segments.length,
      bytes,
      ms: this.#clock() - started,
    };
    if (result === 'written') logger.info(fields, 'wrote the compact snapshot');
    else logger.debug(fields, 'did not replace the compact snapshot');
    return result;
  }

  #wrote(position: Position, changesBefore: number, at: number): void {
    this.#last = position;
    this.#changes -= changesBefore;
    this.#lastWrittenAt = at;
  }
}
