/**
 * One process of a fleet benchmark: COUNT verifiers, each with its own
 * Redis connections (commands, subscription, presence) on REDIS_URL (a
 * replica with `?role=replica`), as COUNT web servers would hold them.
 * Records when each verifier applied each offset, on the machine-wide
 * monotonic clock (process.hrtime), so the driver can compare it with the
 * moment the service acknowledged the change.
 *
 * IPC (advanced serialization):
 *   -> { ready: true } once every verifier is ready
 *   <- { progress: true }            -> { progress: <lowest offset any verifier applied> }
 *   <- { report: [first, last] }     -> { report: Float64Array, swept, cpuMs }: for each offset, COUNT times (NaN:
 *                                       not applied), then forgets them; `swept`: how many were noticed late, by the
 *                                       sweep; `cpuMs`: the CPU this process used since the last report
 *   <- { stop: true }                closes the verifiers and exits
 */
import { createVerifier, type Verifier } from '@revocast/verifier-sdk';
import type { SyncSource } from '@revocast/verifier-sdk/protocol';
import { RedisSource } from '../../verifier-sdk/src/sync/redis-source.js';

const redisUrl = process.env.REDIS_URL as string;
const keyPrefix = process.env.KEY_PREFIX as string;
const count = Number(process.env.COUNT);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const SECRET = 'benchmark-secret-of-at-least-32-bytes!';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Offset -> when each verifier applied it. */
const applied = new Map<number, Float64Array>();
const seen = new Int32Array(count);
/** Applications noticed by the sweep rather than on a message: timed up to 10 ms late. */
let swept = 0;

function record(receiver: number, verifier: Verifier, sweeping = false): void {
  const offset = verifier.status.offset;
  if (offset <= (seen[receiver] as number)) return;
  const at = nowMs();
  if (sweeping) swept += offset - (seen[receiver] as number);
  for (let o = (seen[receiver] as number) + 1; o <= offset; o++) {
    let times = applied.get(o);
    if (times === undefined) {
      times = new Float64Array(count).fill(Number.NaN);
      applied.set(o, times);
    }
    times[receiver] = at;
  }
  seen[receiver] = offset;
}

function watched(receiver: number, holder: { verifier?: Verifier }): SyncSource {
  const real = new RedisSource({ redis: redisUrl, keyPrefix, commandTimeoutMs: 2000, logger: quiet });
  return {
    subscribe: (onMessage, onResubscribed) =>
      real.subscribe((raw) => {
        // The verifier applies the message first, as it would for a request that follows.
        onMessage(raw);
        if (holder.verifier !== undefined) record(receiver, holder.verifier);
      }, onResubscribed),
    head: () => real.head(),
    snapshot: (onEntries) => real.snapshot(onEntries),
    compactSnapshot: (onEntries, onSize) => real.compactSnapshot(onEntries, onSize),
    readAfter: (streamId, max) => real.readAfter(streamId, max),
    close: () => real.close(),
    ...(real.presence === undefined ? {} : { presence: real.presence }),
  };
}

const verifiers: Verifier[] = [];
for (let i = 0; i < count; i++) {
  const holder: { verifier?: Verifier } = {};
  holder.verifier = createVerifier({ source: watched(i, holder), key: SECRET, algorithms: ['HS256'], logger: quiet });
  verifiers.push(holder.verifier);
}
await Promise.all(verifiers.map((v) => v.ready()));
verifiers.forEach((verifier, i) => (seen[i] = verifier.status.offset));
// Changes applied later than their message (buffered while a head read was in flight, or read from the stream): noticed within 10 ms.
const sweep = setInterval(() => verifiers.forEach((verifier, i) => record(i, verifier, true)), 10);

process.on('message', (message: { progress?: true; report?: [number, number]; stop?: true }) => {
  if (message.progress === true) {
    process.send?.({ progress: Math.min(...verifiers.map((v) => v.status.offset)) });
  } else if (message.report !== undefined) {
    // What was applied since the last sweep (a drain after a head read) is noticed now, not missed.
    verifiers.forEach((verifier, i) => record(i, verifier, true));
    const [first, last] = message.report;
    const out = new Float64Array((last - first + 1) * count).fill(Number.NaN);
    for (let o = first; o <= last; o++) {
      const times = applied.get(o);
      if (times !== undefined) out.set(times, (o - first) * count);
    }
    for (const o of applied.keys()) if (o <= last) applied.delete(o);
    const cpu = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    process.send?.({ report: out, swept, cpuMs: (cpu.user + cpu.system) / 1000 });
    swept = 0;
  } else if (message.stop === true) {
    clearInterval(sweep);
    void Promise.allSettled(verifiers.map((v) => v.close())).then(() => process.exit(0));
  }
});
let cpuMark = process.cpuUsage();
process.send?.({ ready: true });
