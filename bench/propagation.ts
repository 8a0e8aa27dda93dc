/**
 * Target 5: from the admin API call returning to every verifier rejecting
 * the token, with 200 verifiers (8 processes x 25) at 100 revocations a
 * second; and, in the same run, raw Redis PUBLISH-to-receive fan-out to 200
 * plain subscribers at the same rate, as the baseline.
 *
 * Run alone: node --conditions=revocast-source --import tsx bench/propagation.ts
 */
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedisServer } from '../test/support/redis-server.js';
import { spawnTs, stop, waitForLine } from './support/processes.js';
import { BENCH_ADMIN_SECRET as ADMIN_SECRET } from './support/admin-key.js';
import { report, saveChart, type Row } from './support/report.js';
import { quantile, sortedCopy } from './support/stats.js';
import { lineChart } from './support/svg.js';

const PROCESSES = 8;
const PER_PROCESS = 25;
const RECEIVERS = PROCESSES * PER_PROCESS;
const RATE = 100;
const WARMUP = 50;
const MESSAGES = 1500;
const KEY_PREFIX = 'bench';
const RAW_CHANNEL = 'bench:raw-fanout';

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

type Report = [kind: string, n: number, receiver: number, at: number];

interface Phase {
  /** When the call returned, per message number. */
  readonly returned: Float64Array;
  /** Receipt times per message number and receiver (NaN: not yet). */
  readonly received: Float64Array;
}

function newPhase(): Phase {
  return {
    returned: new Float64Array(WARMUP + MESSAGES).fill(Number.NaN),
    received: new Float64Array((WARMUP + MESSAGES) * RECEIVERS).fill(Number.NaN),
  };
}

/** Sends WARMUP + MESSAGES at RATE per second; `send` resolves when the call returns. */
async function drive(phase: Phase, send: (n: number) => Promise<void>): Promise<void> {
  const start = nowMs() + 100;
  for (let n = 0; n < WARMUP + MESSAGES; n++) {
    await sleep(start + (n * 1000) / RATE - nowMs());
    await send(n);
    phase.returned[n] = nowMs();
  }
}

/** Per message: the delay until every receiver had it, and every single receipt's delay. */
function delays(phase: Phase): { all: Float64Array; each: Float64Array; missing: number } {
  const all: number[] = [];
  const each: number[] = [];
  let missing = 0;
  for (let n = WARMUP; n < WARMUP + MESSAGES; n++) {
    const returned = phase.returned[n] as number;
    let last = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < RECEIVERS; r++) {
      const at = phase.received[n * RECEIVERS + r] as number;
      if (Number.isNaN(at)) {
        missing++;
        continue;
      }
      each.push(at - returned);
      if (at > last) last = at;
    }
    // Receivers may all have it before the HTTP answer reaches the caller: that counts as 0.
    all.push(Math.max(0, last - returned));
  }
  return { all: sortedCopy(all), each: sortedCopy(each), missing };
}

/** The distribution as (delay, % of messages) points, up to `limit` ms so the tail does not squash the body. */
function cdf(sorted: Float64Array, limit: number, points = 400): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i <= points; i++) {
    const p = i / points;
    const delay = quantile(sorted, Math.max(p, 1 / sorted.length));
    if (delay > limit) break;
    out.push([delay, p * 100]);
  }
  return out;
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const children: ChildProcess[] = [];
  const service = spawnTs('revocation-service/src/main.ts', {
    REDIS_URL: redis.url,
    PORT: '0',
    REVOCAST_KEY_PREFIX: KEY_PREFIX,
    REVOCAST_ADMIN_KEYS: `bench:${ADMIN_SECRET}`,
    LOG_LEVEL: 'info',
  });
  children.push(service);
  try {
    const port = Number((await waitForLine(service, /"port":(\d+)/))[1]);
    const phases = { verifier: newPhase(), raw: newPhase() };
    const ready: Array<Promise<void>> = [];
    for (let p = 0; p < PROCESSES; p++) {
      const child = spawnTs(
        'bench/support/propagation-verifiers.ts',
        { REDIS_URL: redis.url, KEY_PREFIX, COUNT: String(PER_PROCESS), RAW_CHANNEL },
        true,
      );
      children.push(child);
      ready.push(
        new Promise((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`verifier process exited with ${code}`)));
          child.on('message', (message: 'ready' | Report[]) => {
            if (message === 'ready') return resolve();
            for (const [kind, n, receiver, at] of message) {
              const phase = kind === 'raw' ? phases.raw : phases.verifier;
              const slot = n * RECEIVERS + p * PER_PROCESS + receiver;
              if (Number.isNaN(phase.received[slot] as number)) phase.received[slot] = at;
            }
          });
        }),
      );
    }
    await Promise.all(ready);
    console.log(`${RECEIVERS} verifiers and ${RECEIVERS} raw subscribers ready in ${PROCESSES} processes`);

    const publisher = new Redis(redis.url);
    await drive(phases.raw, async (n) => {
      await publisher.publish(RAW_CHANNEL, `r-${n}`);
    });
    await sleep(2000);
    publisher.disconnect();

    const exp = Math.floor(Date.now() / 1000) + 3600;
    await drive(phases.verifier, async (n) => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/revocations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'token', jti: `p-${n}`, exp }),
      });
      if (res.status !== 201) throw new Error(`revocation ${n}: HTTP ${res.status}`);
      await res.arrayBuffer();
    });
    await sleep(3000);

    const ours = delays(phases.verifier);
    const raw = delays(phases.raw);
    for (const [name, d] of [
      ['revocast', ours],
      ['raw PUBLISH', raw],
    ] as const) {
      console.log(
        `${name}: all ${RECEIVERS} have it after p50 ${quantile(d.all, 0.5).toFixed(2)} ms, p99 ${quantile(d.all, 0.99).toFixed(2)} ms, ` +
          `max ${quantile(d.all, 1).toFixed(2)} ms; single receipts p50 ${quantile(d.each, 0.5).toFixed(2)} ms; missing ${d.missing}`,
      );
    }
    if (ours.missing > 0 || raw.missing > 0) throw new Error(`receipts missing: ${ours.missing} revocations, ${raw.missing} raw messages`);
    const row = (p: number, goalMs: number): Row => ({
      target: 5,
      metric: `propagation to all ${RECEIVERS} verifiers, p${p * 100}`,
      unit: 'ms',
      ours: quantile(ours.all, p),
      baselineName: `raw PUBLISH to ${RECEIVERS} subscribers, p${p * 100}`,
      baseline: quantile(raw.all, p),
      goal: `ours <= ${goalMs} ms`,
      met: quantile(ours.all, p) <= goalMs,
    });
    const rows = [row(0.5, 5), row(0.99, 50)];
    report('propagation', `Target 5: propagation to ${RECEIVERS} verifiers at ${RATE} revocations/s`, rows, {
      messages: MESSAGES,
      rate: RATE,
      receivers: RECEIVERS,
      ours: {
        p50: quantile(ours.all, 0.5),
        p90: quantile(ours.all, 0.9),
        p99: quantile(ours.all, 0.99),
        max: quantile(ours.all, 1),
        eachP50: quantile(ours.each, 0.5),
      },
      raw: {
        p50: quantile(raw.all, 0.5),
        p90: quantile(raw.all, 0.9),
        p99: quantile(raw.all, 0.99),
        max: quantile(raw.all, 1),
        eachP50: quantile(raw.each, 0.5),
      },
    });
    const limit = Math.max(quantile(ours.all, 0.99), quantile(raw.all, 0.99));
    saveChart(
      'propagation.svg',
      lineChart({
        title: `Delay until all ${RECEIVERS} receivers have it (${MESSAGES} at ${RATE}/s, to p99)`,
        xLabel: 'ms after the call returned',
        yLabel: '% of messages',
        step: true,
        series: [
          { name: 'Revocast: API -> all reject', points: cdf(ours.all, limit) },
          { name: 'raw PUBLISH -> all receive', points: cdf(raw.all, limit), dashed: true },
        ],
      }),
    );
  } finally {
    for (const child of children.slice(1)) child.send?.('stop');
    await Promise.all(children.map((child) => stop(child)));
    await redis.stop();
  }
}

await main();
