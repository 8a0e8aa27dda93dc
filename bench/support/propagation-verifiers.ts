/**
 * One process of the propagation benchmark: COUNT verifiers, each with its
 * own Redis connections, plus COUNT raw pub/sub subscribers for the
 * baseline. Reports, over IPC, when each verifier first rejects each
 * revoked jti and when each raw subscriber receives each message, on the
 * machine-wide monotonic clock (process.hrtime), so the driver can compare
 * times across processes.
 */
import { Redis } from 'ioredis';
import { createVerifier, type Verifier } from '@revocast/verifier-sdk';
import type { SyncSource } from '@revocast/verifier-sdk/protocol';
import { RedisSource } from '../../verifier-sdk/src/sync/redis-source.js';

const redisUrl = process.env.REDIS_URL as string;
const keyPrefix = process.env.KEY_PREFIX as string;
const count = Number(process.env.COUNT);
const rawChannel = process.env.RAW_CHANNEL as string;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const SECRET = 'benchmark-secret-of-at-least-32-bytes!';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
/** [kind, message number, receiver, time] rows, sent in batches. */
let outbox: Array<[string, number, number, number]> = [];

/** The number in a jti `p-<n>` carried by a channel message. */
function jtiNumber(raw: string): number {
  const at = raw.indexOf('"id":"p-');
  return at < 0 ? -1 : Number.parseInt(raw.slice(at + 8), 10);
}

/** Records the moment `verifier` rejects jti p-n: at once if the message was applied, else as soon as it is. */
function whenRejected(verifier: Verifier, receiver: number, n: number): void {
  if (verifier.isRevoked({ jti: `p-${n}` })) {
    outbox.push(['verifier', n, receiver, nowMs()]);
    return;
  }
  setImmediate(() => whenRejected(verifier, receiver, n));
}

function watched(receiver: number, holder: { verifier?: Verifier }): SyncSource {
  const real = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 2000, logger: quiet });
  return {
    subscribe: (onMessage, onResubscribed) =>
      real.subscribe((raw) => {
        // The verifier applies the message first; the check comes after, as a request's would.
        onMessage(raw);
        const n = jtiNumber(raw);
        if (n >= 0 && holder.verifier !== undefined) whenRejected(holder.verifier, receiver, n);
      }, onResubscribed),
    head: () => real.head(),
    snapshot: (onEntries) => real.snapshot(onEntries),
    readAfter: (streamId, max) => real.readAfter(streamId, max),
    close: () => real.close(),
  };
}

const verifiers: Verifier[] = [];
for (let i = 0; i < count; i++) {
  const holder: { verifier?: Verifier } = {};
  holder.verifier = createVerifier({ source: watched(i, holder), key: SECRET, algorithms: ['HS256'], logger: quiet });
  verifiers.push(holder.verifier);
}
await Promise.all(verifiers.map((v) => v.ready()));

const subscribers: Redis[] = [];
for (let i = 0; i < count; i++) {
  const subscriber = new Redis(redisUrl);
  subscriber.on('message', (_channel: string, message: string) => {
    outbox.push(['raw', Number(message.slice(2)), i, nowMs()]);
  });
  await subscriber.subscribe(rawChannel);
  subscribers.push(subscriber);
}

const flusher = setInterval(() => {
  if (outbox.length === 0) return;
  process.send?.(outbox);
  outbox = [];
}, 100);

process.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(flusher);
  if (outbox.length > 0) process.send?.(outbox);
  for (const subscriber of subscribers) subscriber.disconnect();
  void Promise.all(verifiers.map((v) => v.close())).then(() => process.exit(0));
});
process.send?.('ready');
