import { Cluster } from 'ioredis';
import type { RedisClient } from '@revocast/verifier-sdk';
import {
  META,
  decodeAck,
  decodeLogEntry,
  decodeMessages,
  decodeReport,
  encodeAckRequest,
  parseHead,
  redisKeys,
  type Ack,
  type Message,
  type RedisKeys,
  type VerifierReport,
} from '@revocast/verifier-sdk/protocol';
import { openServiceRedis } from '../store/redis-connection.js';
import { StoreUnavailableError } from '../store/revocation-store.js';
import type { FleetSnapshot, VerifierFleet } from './verifier-fleet.js';
import { DEFAULTS } from '../config/defaults.js';

export interface RedisFleetOptions {
  /** Redis URL: standalone, `redis+sentinel://` or `redis+cluster://` (the fleet opens its own connections). */
  readonly redis: string;
  readonly keyPrefix: string;
  /** Default {@link DEFAULTS.redisCommandTimeoutMs} (3 s). */
  readonly commandTimeoutMs?: number;
}

/**
 * The verifier fleet as seen through Redis: reports are keys with an expiry
 * (indexed in a sorted set), acknowledgements and changes arrive on pub/sub.
 * The subscriber connection opens on first use. On a cluster every channel
 * is sharded (SPUBLISH/SSUBSCRIBE on the shard of the key prefix's hash
 * tag), as the changes already are and as verifiers acknowledge.
 */
export class RedisFleet implements VerifierFleet {
  readonly #keys: RedisKeys;
  readonly #url: string;
  readonly #command: RedisClient;
  readonly #sharded: boolean;
  #subscriber: RedisClient | undefined;
  #subscribed: Promise<void> | undefined;
  readonly #ackListeners = new Set<(ack: Ack) => void>();
  readonly #changeListeners = new Set<(message: Message) => void>();

  constructor(options: RedisFleetOptions) {
    this.#keys = redisKeys(options.keyPrefix);
    this.#url = options.redis;
    this.#command = openServiceRedis(options.redis, {
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULTS.redisCommandTimeoutMs,
      connectionName: 'revocast-service-fleet',
    });
    this.#sharded = this.#command instanceof Cluster;
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new StoreUnavailableError(`redis: ${(err as Error).message}`, { cause: err });
    }
  }

  async snapshot(): Promise<FleetSnapshot> {
    const keys = this.#keys;
    const [meta, ids] = await this.#call(() =>
      Promise.all([this.#command.hmget(keys.meta, META.epoch, META.offset, META.lastId), this.#command.zrange(keys.verifiers, 0, -1)]),
    );
    const head = parseHead(meta[0] ?? null, meta[1] ?? null, meta[2] ?? null);
    if (ids.length === 0) return { head, reports: [] };
    // The keys expire on Redis's clock: a missing one is a verifier that stopped reporting.
    const rows = await this.#call(() => this.#command.mget(...ids.map((id) => keys.verifier(id))));
    const reports: VerifierReport[] = [];
    for (const row of rows) {
      const report = row === null ? undefined : decodeReport(row);
      if (report !== undefined) reports.push(report);
    }
    return { head, reports };
  }

  async changeAfter(streamId: string): Promise<Message | undefined> {
    const rows = await this.#call(() => this.#command.xrange(this.#keys.log, `(${streamId}`, '+', 'COUNT', 1));
    const row = rows[0];
    return row === undefined ? undefined : decodeLogEntry(row[0], row[1]);
  }

  async requestAck(epoch: string, offset: number): Promise<void> {
    const request = encodeAckRequest(epoch, offset);
    await this.#call(() =>
      this.#sharded ? this.#command.spublish(this.#keys.ackRequests, request) : this.#command.publish(this.#keys.ackRequests, request),
    );
  }

  async onAck(listener: (ack: Ack) => void): Promise<() => void> {
    await this.#subscribe();
    this.#ackListeners.add(listener);
    return () => this.#ackListeners.delete(listener);
  }

  async onChange(listener: (message: Message) => void): Promise<() => void> {
    await this.#subscribe();
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #subscribe(): Promise<void> {
    if (this.#subscribed !== undefined) return this.#subscribed;
    const subscriber = openServiceRedis(this.#url, { commandTimeoutMs: 0, connectionName: 'revocast-service-fleet-sub', subscriber: true });
    this.#subscriber = subscriber;
    const { acks, channel } = this.#keys;
    subscriber.on(this.#sharded ? 'smessage' : 'message', (from: string, raw: string) => {
      if (from === acks) {
        const ack = decodeAck(raw);
        if (ack !== undefined) for (const listener of this.#ackListeners) listener(ack);
      } else if (from === channel) {
        // One message may carry a batch: every change of it, in order.
        for (const message of decodeMessages(raw) ?? []) for (const listener of this.#changeListeners) listener(message);
      }
    });
    this.#subscribed = (this.#sharded ? subscriber.ssubscribe(acks, channel) : subscriber.subscribe(acks, channel)).then(
      () => undefined,
      (err: unknown) => {
        this.#subscribed = undefined;
        subscriber.disconnect();
        throw new StoreUnavailableError(`redis: ${(err as Error).message}`, { cause: err });
      },
    );
    return this.#subscribed;
  }

  async close(): Promise<void> {
    this.#ackListeners.clear();
    this.#changeListeners.clear();
    this.#subscriber?.disconnect();
    try {
      await this.#command.quit();
    } catch {
      this.#command.disconnect();
    }
  }
}
