/**
 * A verifier in its own process whose event loop a test can hold with
 * synchronous work, the way a long computation, a GC pause or a starved CPU
 * would.
 *
 * Env: REDIS_URL, KEY_PREFIX, MAX_STALENESS and POLL_INTERVAL (seconds),
 * STALL_DIR. Over IPC it takes `{ type: 'stall', probes: string[] }`: the
 * next head read it sends starts the stall (so a read is in flight across
 * it, as it often is). It writes `<STALL_DIR>/stalled`, spins until
 * `<STALL_DIR>/release` exists, then probes every jti in `probes` at once and
 * on every later turn of the event loop (a slice of them while the list is
 * stale, all of them once it is not), until all are rejected as revoked by a
 * current list, and reports what each probe answered.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVerifier } from '@revocast/verifier-sdk';
import type { SyncSource } from '@revocast/verifier-sdk/protocol';
import { RedisSource } from '../../verifier-sdk/src/sync/redis-source.js';
import { SECRET } from './fixtures.js';

export interface StallReport {
  readonly type: 'report';
  /** Outcome of the first probe round after the stall, before any I/O ran. */
  readonly first: { revoked: number; stale: number; accepted: number };
  /** Over every round. */
  readonly total: { revoked: number; stale: number; accepted: number };
  readonly rounds: number;
  readonly stalledMs: number;
  /** Every probe was rejected as revoked by a list that is not stale, within the time allowed. */
  readonly settled: boolean;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const dir = process.env.STALL_DIR as string;
// Probes by the ten thousand while stale: stack traces would dominate.
Error.stackTraceLimit = 0;

let stallNext = false;
let probes: string[] = [];
const real = new RedisSource({
  redis: process.env.REDIS_URL as string,
  keyPrefix: process.env.KEY_PREFIX as string,
  commandTimeoutMs: 60_000,
  logger: quiet,
});
const source: SyncSource = {
  subscribe: (onMessage, onResubscribed) => real.subscribe(onMessage, onResubscribed),
  head: () => {
    const read = real.head();
    if (stallNext) {
      stallNext = false;
      stall();
    }
    return read;
  },
  snapshot: (onEntries) => real.snapshot(onEntries),
  readAfter: (streamId, count) => real.readAfter(streamId, count),
  close: () => real.close(),
};

const verifier = createVerifier({
  source,
  key: SECRET,
  algorithms: ['HS256'],
  maxStaleness: Number(process.env.MAX_STALENESS),
  pollInterval: Number(process.env.POLL_INTERVAL),
  heartbeatInterval: 0,
  logger: quiet,
});

/** Probes per round while the list is stale: each refusal throws, and all of them at once would starve the event loop it waits on. */
const STALE_SLICE = 2000;
let sliceStart = 0;

function probe(into: { revoked: number; stale: number; accepted: number }, all = false): boolean {
  let allRevoked = true;
  let batch = probes;
  if (!all && verifier.status.stale) {
    batch = probes.slice(sliceStart, sliceStart + STALE_SLICE);
    sliceStart = (sliceStart + STALE_SLICE) % probes.length;
    allRevoked = false;
  }
  for (const jti of batch) {
    try {
      if (verifier.isRevoked({ jti })) into.revoked++;
      else {
        into.accepted++;
        allRevoked = false;
      }
    } catch {
      into.stale++;
      allRevoked = false;
    }
  }
  return allRevoked;
}

function stall(): void {
  const started = Date.now();
  writeFileSync(join(dir, 'stalled'), String(started));
  // Synchronous work: no timer, no socket, no IPC message is handled meanwhile.
  while (!existsSync(join(dir, 'release'))) {
    const until = Date.now() + 5;
    while (Date.now() < until);
  }
  const stalledMs = Date.now() - started;
  const first = { revoked: 0, stale: 0, accepted: 0 };
  probe(first, true);
  const total = { ...first };
  let rounds = 1;
  const deadline = Date.now() + 90_000;
  const round = () => {
    rounds++;
    const settled = probe(total);
    if (settled || Date.now() > deadline) {
      const report: StallReport = { type: 'report', first, total, rounds, stalledMs, settled };
      process.send?.(report);
    } else setImmediate(round);
  };
  setImmediate(round);
}

process.on('message', (message: { type: string; probes?: string[] }) => {
  if (message.type === 'stall') {
    probes = message.probes ?? [];
    stallNext = true;
  }
});
process.on('SIGTERM', () => void verifier.close().then(() => process.exit(0)));
await verifier.ready();
process.send?.({ type: 'ready' });
