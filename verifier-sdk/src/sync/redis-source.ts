import { Cluster, type RedisOptions } from 'ioredis';
import {
  READ_HEAD_SCRIPT,
  decodeAckRequest,
  decodeWatermark,
  decodeLogEntry,
  encodeAck,
  encodeReport,
  parseHead,
  parseMember,
  parseRedisTarget,
  redisKeys,
  redisTimeMs,
  withWatermark,
  type Entry,
  type Head,
  type Message,
  type PresenceChannel,
  type Position,
  type RedisKeys,
  type RevocationType,
  type SyncSource,
  UndecodableChangeError,
} from '../protocol/index.js';
import { errorFields, type Logger } from '../internal/logger.js';
import { withDeadline } from './deadline.js';
import { readSnapshot, type SnapshotMiss } from './snapshot-reader.js';
import { duplicateRedis, openRedis, type RedisClient } from './redis-connection.js';

export interface RedisSourceOptions {
  /**
   * A Redis URL (see `parseRedisTarget` for the Sentinel and Cluster forms), or
   * an ioredis client or cluster to share (the source opens one more connection for pub/sub).
   */
  readonly redis: string | RedisClient;
  readonly keyPrefix: string;
  /**
   * Commands Redis has not answered within this long fail, so a hung Redis
   * shows up as staleness. Measured against the answer's arrival, so a
   * verifier whose event loop runs late still takes an answer that came in
   * time (see {@link withDeadline}).
   */
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
  /** `CLIENT SETNAME` of its connections (`-sub`, `-presence` added). Default `revocast-verifier`. */
  readonly connectionName?: string;
}

const SCAN_COUNT = 5000;

interface HeadScript {
  revocastReadHead(
    meta: string,
    watermark: string,
  ): Promise<[string | null, string | null, string | null, string | null, string | null, [string, string]]>;
}
/** Index entries whose report expired this long ago are dropped by any heartbeat. */
const INDEX_GRACE_MS = 60_000;

/**
 * ioredis's own timeout fires by the event loop's clock: after a held event
 * loop it fails commands whose answers are already in the socket. Every call
 * is therefore bounded by {@link withDeadline}; ioredis's timeout is only a
 * backstop that frees its queue when an answer never comes.
 */
function backstopMs(commandTimeoutMs: number): number {
  return Math.max(30_000, 10 * commandTimeoutMs);
}

/**
 * Commands time out (queued ones too) and are not retried across reconnects:
 * a failed poll is information, it shows up as staleness.
 */
function connectionOptions(commandTimeoutMs: number, connectionName: string): RedisOptions {
  return {
    connectionName,
    commandTimeout: backstopMs(commandTimeoutMs),
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  };
}

/**
 * Picks the same replica for every connection given the same `seed` (and
 * a different one for other seeds, spreading verifiers over the replicas):
 * a verifier's reads and its subscription must come from one node, whose
 * offsets agree with each other.
 */
function replicaPicker(seed: number): (replicas: Array<{ ip: string; port: string }>) => { ip: string; port: string } | null {
  return (replicas) => {
    if (replicas.length === 0) return null;
    const sorted = [...replicas].sort((a, b) => `${a.ip}:${a.port}`.localeCompare(`${b.ip}:${b.port}`));
    return sorted[seed % sorted.length] ?? null;
  };
}

/** Reads revocations from Redis: snapshot, stream and channel. */
export class RedisSource implements SyncSource {
  readonly #keys: RedisKeys;
  readonly #command: RedisClient;
  /**
   * Reading from a replica: a head read there says what that replica has,
   * not what the master acknowledged, so it counts only with a watermark the
   * master's side wrote (see `confirmation`); heartbeats and
   * acknowledgements are writes and go to the master on their own connection.
   */
  readonly #onReplica: boolean;
  readonly #master: RedisClient | undefined;
  readonly #subscriber: RedisClient;
  /** On a cluster, changes travel on sharded pub/sub (SSUBSCRIBE), which stays on the channel's shard. */
  readonly #sharded: boolean;
  readonly #ownsCommand: boolean;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  /** The last reason a compact snapshot was not used, so a lasting one is logged once. */
  #lastMiss: SnapshotMiss | undefined;

  constructor(options: RedisSourceOptions) {
    this.#keys = redisKeys(options.keyPrefix);
    this.#logger = options.logger;
    this.#timeoutMs = options.commandTimeoutMs;
    const name = options.connectionName ?? 'revocast-verifier';
    const connection = connectionOptions(options.commandTimeoutMs, name);
    const target = typeof options.redis === 'string' ? parseRedisTarget(options.redis) : undefined;
    this.#onReplica = target?.mode === 'sentinel' && target.role === 'replica';
    if (target !== undefined) {
      const seed = Math.floor(Math.random() * 2 ** 31);
      this.#command = openRedis(
        target,
        this.#onReplica ? ({ ...connection, preferredSlaves: replicaPicker(seed) } as RedisOptions) : connection,
      );
      this.#ownsCommand = true;
    } else {
      this.#command = options.redis as RedisClient;
      this.#ownsCommand = false;
    }
    this.#master =
      this.#onReplica && target?.mode === 'sentinel'
        ? openRedis({ ...target, role: 'master' }, { ...connection, connectionName: `${name}-presence`, lazyConnect: true })
        : undefined;
    this.#sharded = this.#command instanceof Cluster;
    // Keyed, so a cluster runs it on the node that owns the keys (and its clock).
    this.#command.defineCommand('revocastReadHead', { numberOfKeys: 2, lua: READ_HEAD_SCRIPT });
    // The subscriber must queue its SUBSCRIBE until connected, and never time out while idle.
    this.#subscriber = duplicateRedis(
      this.#command,
      {
        ...connection,
        commandTimeout: undefined,
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        connectionName: `${name}-sub`,
      } as RedisOptions,
      this.#sharded,
    );
    // ioredis emits 'error' for every failed reconnect; an unhandled one would crash the host.
    const connections: Array<readonly [string, RedisClient]> = [
      ['command', this.#command],
      ['subscriber', this.#subscriber],
    ];
    if (this.#master !== undefined) connections.push(['presence', this.#master]);
    for (const [role, client] of connections) {
      let lastMessage = '';
      client.on('error', (err: Error) => {
        if (err.message === lastMessage) return;
        lastMessage = err.message;
        this.#logger.warn({ connection: role, ...errorFields(err) }, 'redis connection error');
      });
      client.on('ready', () => {
        lastMessage = '';
      });
    }
  }

  async subscribe(onMessage: (raw: string) => void, onResubscribed: () => void): Promise<void> {
    const channel = this.#keys.channel;
    this.#subscriber.on(this.#sharded ? 'smessage' : 'message', (from: string, message: string) => {
      if (from === channel) onMessage(message);
    });
    if (this.#sharded) await this.#subscriber.ssubscribe(channel);
    else await this.#subscriber.subscribe(channel);
    // ioredis re-subscribes by itself after a reconnect but cannot tell what was missed.
    this.#subscriber.on('ready', onResubscribed);
  }

  /** The head, the record watermark and Redis's clock, in one read-only script (it runs on a Redis that refuses writes). */
  async head(): Promise<Head> {
    const [epoch, offset, lastId, durable, watermark, time] = await this.#within(
      (this.#command as unknown as HeadScript).revocastReadHead(this.#keys.meta, this.#keys.watermark),
      'the head read',
    );
    const head = parseHead(epoch, offset, lastId, durable);
    return withWatermark(this.#onReplica ? { ...head, fromReplica: true } : head, decodeWatermark(watermark), redisTimeMs(time));
  }

  async snapshot(onEntries: (entries: readonly Entry[]) => void): Promise<Head> {
    const head = await this.head();
    const keys = this.#keys;
    let unreadable = 0;
    const scan = (cursor: string) => this.#within(this.#command.zscan(keys.entries, cursor, 'COUNT', SCAN_COUNT), 'a snapshot page');
    let page = scan('0');
    for (;;) {
      const [next, flat] = await page;
      // Ask for the next page before parsing this one, so Redis and the parsing overlap.
      if (next !== '0') {
        page = scan(next);
        // If this page fails, the early request's own failure must not go unhandled (it would crash the host).
        page.catch(() => {});
      }
      const entries: Entry[] = [];
      const subjects: Array<{ id: string; pruneAt: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const parsed = parseMember(flat[i] as string);
        const pruneAt = Number(flat[i + 1]);
        if (parsed === undefined || !Number.isFinite(pruneAt)) {
          // No writer stores such a member; say so rather than skip it in silence. The id is not logged.
          unreadable++;
          continue;
        }
        if (parsed.type === 'subject') subjects.push({ id: parsed.id, pruneAt });
        else entries.push({ type: parsed.type, id: parsed.id, pruneAt });
      }
      if (subjects.length > 0) {
        const cutoffs = await this.#within(this.#command.hmget(keys.cutoffs, ...subjects.map((s) => s.id)), 'the cutoffs read');
        subjects.forEach((subject, i) => {
          const cutoff = Number(cutoffs[i]);
          // A subject reinstated mid-scan has no cutoff any more; the replay settles it.
          if (cutoffs[i] !== null && Number.isFinite(cutoff)) entries.push({ type: 'subject', ...subject, cutoff });
        });
      }
      onEntries(entries);
      if (next !== '0') continue;
      if (unreadable > 0)
        this.#logger.error({ unreadable }, 'the revocation list in Redis holds entries this verifier cannot read; they are not loaded');
      return head;
    }
  }

  async compactSnapshot(
    onEntries: (entries: readonly Entry[]) => void,
    onSize: (counts: Readonly<Record<RevocationType, number>>) => void,
  ): Promise<{ readonly head: Head; readonly from: Position } | undefined> {
    const started = performance.now();
    const read = await readSnapshot({
      client: this.#command,
      keys: this.#keys,
      head: () => this.head(),
      within: (work, what) => this.#within(work, what),
      onSize,
      onEntries,
    });
    if ('miss' in read) {
      if (read.miss !== this.#lastMiss && read.miss !== 'none') {
        this.#logger.warn({ reason: read.miss }, 'the compact snapshot in Redis cannot be used; reading every entry instead');
      }
      this.#lastMiss = read.miss;
      return undefined;
    }
    this.#lastMiss = undefined;
    const { manifest } = read;
    this.#logger.debug(
      { offset: manifest.offset, chunks: manifest.chunks, bytes: manifest.bytes, ms: Math.round(performance.now() - started) },
      'loaded the compact snapshot',
    );
    return { head: read.head, from: read.from };
  }

  async readAfter(streamId: string, count: number): Promise<readonly Message[]> {
    const rows = await this.#within(this.#command.xrange(this.#keys.log, `(${streamId}`, '+', 'COUNT', count), 'the stream read');
    const messages: Message[] = [];
    for (const [id, fields] of rows) {
      const message = decodeLogEntry(id, fields);
      // Never pass over it: the verifier must not advance past a change it cannot apply.
      if (message === undefined) throw new UndecodableChangeError(id, messages);
      messages.push(message);
    }
    return messages;
  }

  /** Heartbeats and acknowledgements; they never touch the token check path. */
  readonly presence: PresenceChannel = {
    announce: async (report, ttlMs) => {
      const keys = this.#keys;
      const results = await this.#within(
        this.#writer
          .pipeline()
          .set(keys.verifier(report.id), encodeReport(report), 'PX', ttlMs)
          .zadd(keys.verifiers, report.reportedAt + ttlMs, report.id)
          .zremrangebyscore(keys.verifiers, '-inf', report.reportedAt - INDEX_GRACE_MS)
          .exec(),
        'the heartbeat',
      );
      const failed = results?.find(([err]) => err !== null);
      if (failed !== undefined) throw failed[0] as Error;
    },
    withdraw: async (id) => {
      await this.#within(this.#writer.pipeline().del(this.#keys.verifier(id)).zrem(this.#keys.verifiers, id).exec(), 'the withdrawal');
    },
    onAckRequest: async (onRequest) => {
      const channel = this.#keys.ackRequests;
      // On a cluster the service asks on sharded pub/sub, like the changes: the same shard, whatever node this verifier reaches.
      this.#subscriber.on(this.#sharded ? 'smessage' : 'message', (from: string, message: string) => {
        if (from !== channel) return;
        const request = decodeAckRequest(message);
        if (request !== undefined) onRequest(request.epoch, request.offset);
      });
      if (this.#sharded) await this.#subscriber.ssubscribe(channel);
      else await this.#subscriber.subscribe(channel);
    },
    acknowledge: async (ack) => {
      const encoded = encodeAck(ack);
      // Published on the master: a replica delivers only to its own subscribers, the service listens on the master.
      await this.#within(
        this.#sharded ? this.#writer.spublish(this.#keys.acks, encoded) : this.#writer.publish(this.#keys.acks, encoded),
        'the acknowledgement',
      );
    },
  };

  /** Where heartbeats and acknowledgements go. */
  get #writer(): RedisClient {
    return this.#master ?? this.#command;
  }

  #within<T>(work: Promise<T>, what: string): Promise<T> {
    return withDeadline(work, this.#timeoutMs, what);
  }

  async close(): Promise<void> {
    this.#master?.disconnect();
    this.#subscriber.disconnect();
    if (this.#ownsCommand) this.#command.disconnect();
  }
}
