/**
 * The joining verifier of the join benchmarks, in a fresh process: times
 * createVerifier() to ready() against a Redis holding a million
 * revocations, then, on request, the catch-up after its subscription missed
 * a batch of revocations (it is told of the reconnection, as ioredis would
 * after a dropped connection).
 */
import { createVerifier } from '@revocast/verifier-sdk';
import type { SyncSource } from '@revocast/verifier-sdk/protocol';
import { RedisSource } from '../../verifier-sdk/src/sync/redis-source.js';

const redisUrl = process.env.REDIS_URL as string;
const keyPrefix = process.env.KEY_PREFIX as string;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let deaf = false;
let resubscribed: () => void = () => {};
const real = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 10_000, logger: quiet });
// SCAN=1: join by reading every entry, as verifiers did before the compact snapshot (the baseline).
const scanOnly = process.env.SCAN === '1';
const source: SyncSource = {
  subscribe: (onMessage, onResubscribed) => {
    resubscribed = onResubscribed;
    return real.subscribe((raw) => {
      if (!deaf) onMessage(raw);
    }, onResubscribed);
  },
  head: () => real.head(),
  snapshot: (onEntries) => real.snapshot(onEntries),
  ...(scanOnly ? {} : { compactSnapshot: (onEntries, onSize) => real.compactSnapshot(onEntries, onSize) }),
  readAfter: (streamId, count) => real.readAfter(streamId, count),
  close: () => real.close(),
};

const started = performance.now();
// No liveness poll during the run: only the reconnection may start the catch-up.
const verifier = createVerifier({
  source,
  key: 'benchmark-secret-of-at-least-32-bytes!',
  algorithms: ['HS256'],
  logger: quiet,
  pollInterval: 3600,
  maxStaleness: 3600,
});
await verifier.ready();
const readyMs = performance.now() - started;
const { heapUsed, external } = process.memoryUsage();
process.send?.({ readyMs, entries: verifier.status.entries, offset: verifier.status.offset, heapAndExternal: heapUsed + external });

process.on('message', (message: { deaf?: boolean; catchUpTo?: number; stop?: boolean }) => {
  if (message.deaf !== undefined) {
    deaf = message.deaf;
    process.send?.({ deaf });
  }
  if (message.catchUpTo !== undefined) {
    const target = message.catchUpTo;
    const from = performance.now();
    resubscribed();
    const wait = () => {
      if (verifier.status.offset >= target) {
        process.send?.({ catchUpMs: performance.now() - from, offset: verifier.status.offset, entries: verifier.status.entries });
      } else setImmediate(wait);
    };
    wait();
  }
  if (message.stop === true) void verifier.close().then(() => process.exit(0));
});
