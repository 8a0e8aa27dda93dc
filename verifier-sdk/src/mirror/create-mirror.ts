import { DEFAULT_KEY_PREFIX, keyPrefixProblem, type Entry, type Position } from '../protocol/index.js';
import { NO_METRICS } from '../metrics/verifier-metrics.js';
import { consoleLogger, type Logger } from '../internal/logger.js';
import { RedisSource } from '../sync/redis-source.js';
import type { RedisClient } from '../sync/redis-connection.js';
import { SyncEngine, type SyncState } from '../sync/sync-engine.js';
import { EntryMap } from './entry-map.js';

export interface RevocationMirrorOptions {
  /** A Redis URL (as for `createVerifier`), or an ioredis client or cluster to share. */
  readonly redis: string | RedisClient;
  /** Default `revocast`. */
  readonly keyPrefix?: string;
  /** Seconds an entry is kept past its prune time, as verifiers do. Default 5. */
  readonly clockTolerance?: number;
  /** Seconds between liveness polls. Default 1. */
  readonly pollInterval?: number;
  /** Seconds before a Redis command counts as failed. Default 2. */
  readonly commandTimeout?: number;
  readonly logger?: Logger;
}

/** A copy of the live revocation list with every id, kept equal to the history in Redis. */
export interface RevocationMirror {
  /** Resolves once the list is loaded. */
  ready(): Promise<void>;
  readonly state: SyncState;
  /** The last change the copy holds. */
  readonly position: Position;
  /** The live entries and the position they stand at, read at one instant. */
  read(nowMs?: number): { readonly position: Position; readonly entries: Entry[] };
  /** Called each time the position moves (a change applied, a catch-up, a reload). */
  onAdvanced(listener: (position: Position) => void): void;
  close(): Promise<void>;
}

/**
 * Follows the revocation history in Redis exactly as a verifier does
 * (the same sync engine: gap-free, reloading on a new epoch, never
 * forgetting what a lost history held), but keeps each entry with its id
 * rather than a digest. It is what the revocation service writes the
 * compact snapshot from; tools that must copy or inspect the list can use
 * it too. It costs memory in proportion to the list (about 150 bytes an
 * entry) and reports to no one: the service does not count it as a verifier.
 *
 * @example
 * ```ts
 * const mirror = createRevocationMirror({ redis: process.env.REDIS_URL! });
 * await mirror.ready();
 * const { position, entries } = mirror.read();
 * ```
 */
export function createRevocationMirror(options: RevocationMirrorOptions): RevocationMirror {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const problem = keyPrefixProblem(keyPrefix);
  if (problem !== undefined) throw new TypeError(`keyPrefix ${problem}`);
  const logger = options.logger ?? consoleLogger;
  const toleranceMs = (options.clockTolerance ?? 5) * 1000;
  const listeners: Array<(position: Position) => void> = [];
  const engine = new SyncEngine<EntryMap>({
    source: new RedisSource({
      redis: options.redis,
      keyPrefix,
      commandTimeoutMs: (options.commandTimeout ?? 2) * 1000,
      logger,
      connectionName: 'revocast-mirror',
    }),
    createList: () => new EntryMap(toleranceMs),
    clock: Date.now,
    toleranceMs,
    pollIntervalMs: (options.pollInterval ?? 1) * 1000,
    // Currency is the verifiers' question; a mirror only has to follow.
    maxStalenessMs: Number.POSITIVE_INFINITY,
    logger,
    metrics: NO_METRICS,
    onStateChange: () => {},
    onAdvanced: (position) => {
      for (const listener of listeners) listener(position);
    },
  });
  engine.start();
  return {
    ready: () => engine.ready(),
    get state() {
      return engine.state;
    },
    get position() {
      return engine.position;
    },
    read: (nowMs = Date.now()) => ({ position: engine.position, entries: engine.list.live(nowMs) }),
    onAdvanced: (listener) => void listeners.push(listener),
    close: () => engine.close(),
  };
}
