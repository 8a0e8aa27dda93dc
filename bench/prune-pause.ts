/**
 * Target 7: the longest event-loop pause (perf_hooks.monitorEventLoopDelay)
 * while 100,000 of 1,000,000 entries expire in the same second, in a
 * running sync engine; the baseline is the Map-based list pruning the same
 * expiry in one go, measured the same way.
 *
 * Run alone: node --conditions=revocast-source --import tsx --expose-gc bench/prune-pause.ts
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Entry } from '@revocast/verifier-sdk/protocol';
import { staticEngine } from '../test/support/static-engine.js';
import { uuid } from './support/ids.js';
import { MapRevocationList } from './support/map-list.js';
import { report, type Row } from './support/report.js';
import { breathe, settleGc } from './support/stats.js';

const LIVE = 1_000_000;
const EXPIRING = 100_000;
const T0 = Date.now();
/** The tolerance staticEngine uses. */
const TOLERANCE_MS = 5000;

function entries(): Entry[] {
  return Array.from({ length: LIVE }, (_, i) => ({
    type: 'token' as const,
    id: uuid(),
    // 100,000 expire in the same second; the rest over the next hour.
    pruneAt: i < EXPIRING ? T0 + 10_000 : T0 + 60_000 + Math.floor(Math.random() * 3_600_000),
  }));
}

/** Runs `during` with the event-loop delay monitor on; returns the longest pause in ms. */
async function longestPause(during: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await during();
  await breathe(100);
  histogram.disable();
  return histogram.max / 1e6;
}

async function ours(all: readonly Entry[]): Promise<{ pauseMs: number; totalMs: number; quietMs: number }> {
  let now = T0;
  const engine = staticEngine(all, () => now, 50);
  engine.start();
  await engine.ready();
  await settleGc();
  const quietMs = await longestPause(() => breathe(1000));
  let totalMs = 0;
  const pauseMs = await longestPause(async () => {
    const started = performance.now();
    now = T0 + 30_000;
    while (engine.list.size > LIVE - EXPIRING) await new Promise((resolve) => setImmediate(resolve));
    totalMs = performance.now() - started;
  });
  await engine.close();
  return { pauseMs, totalMs, quietMs };
}

async function baseline(all: readonly Entry[]): Promise<{ pauseMs: number; totalMs: number }> {
  const list = new MapRevocationList();
  for (const entry of all) list.put({ ...entry, pruneAt: entry.pruneAt + TOLERANCE_MS });
  await settleGc();
  let totalMs = 0;
  const pauseMs = await longestPause(async () => {
    await breathe(50);
    const started = performance.now();
    const dropped = list.pruneTokens(T0 + 30_000);
    totalMs = performance.now() - started;
    if (dropped !== EXPIRING) throw new Error(`baseline dropped ${dropped}`);
  });
  return { pauseMs, totalMs };
}

async function main(): Promise<void> {
  const all = entries();
  const mine = await ours(all);
  await settleGc();
  const theirs = await baseline(all);
  console.log(
    `pruning ${EXPIRING.toLocaleString('en-US')} of ${LIVE.toLocaleString('en-US')}: ours longest pause ${mine.pauseMs.toFixed(1)} ms ` +
      `(${mine.totalMs.toFixed(0)} ms in all, idle loop max ${mine.quietMs.toFixed(1)} ms); Map list in one go ${theirs.pauseMs.toFixed(1)} ms (${theirs.totalMs.toFixed(0)} ms)`,
  );
  const rows: Row[] = [
    {
      target: 7,
      metric: `longest event-loop pause, ${EXPIRING.toLocaleString('en-US')} of ${LIVE.toLocaleString('en-US')} expiring at once`,
      unit: 'ms',
      ours: mine.pauseMs,
      baselineName: 'Map-based list pruning in one go',
      baseline: theirs.pauseMs,
      goal: 'ours <= 10 ms',
      met: mine.pauseMs <= 10,
    },
  ];
  report('prune-pause', 'Target 7: event-loop pauses while pruning', rows, { ours: mine, baseline: theirs });
}

await main();
