/**
 * Target 2: memory per revoked jti (heap plus external, after GC), for the
 * compact list and for a plain Map<string, number> holding the same jtis.
 *
 * Run alone: node --conditions=revocast-source --import tsx --expose-gc bench/memory.ts
 */
import { RevocationList } from '../verifier-sdk/src/list/revocation-list.js';
import { uuid } from './support/ids.js';
import { report, saveChart, type Row } from './support/report.js';
import { settleGc } from './support/stats.js';
import { barChart } from './support/svg.js';

const SIZES = [10_000, 100_000, 1_000_000];
const NOW = Date.now();

async function used(): Promise<number> {
  await settleGc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** Bytes per entry of what `build` returns, kept alive while measuring. */
async function perEntry(size: number, build: (size: number) => unknown): Promise<number> {
  const before = await used();
  const built = build(size);
  const after = await used();
  // Keep `built` reachable until after the measurement.
  if (built === undefined) throw new Error('nothing built');
  return (after - before) / size;
}

function compactList(size: number): RevocationList {
  const list = new RevocationList(5000, NOW);
  // Expiry spread over an hour, as token lifetimes are: one queue bucket per second.
  for (let i = 0; i < size; i++) list.put({ type: 'token', id: uuid(), pruneAt: NOW + Math.floor(Math.random() * 3_600_000) });
  return list;
}

function mapBaseline(size: number): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < size; i++) map.set(uuid(), NOW + Math.floor(Math.random() * 3_600_000));
  return map;
}

async function main(): Promise<void> {
  const figures: Array<{ size: number; ours: number; map: number; oursTyped: number }> = [];
  for (const size of SIZES) {
    const ours = await perEntry(size, compactList);
    const map = await perEntry(size, mapBaseline);
    const oursTyped = compactList(size).byteLength / size;
    figures.push({ size, ours, map, oursTyped });
    console.log(
      `${size.toLocaleString('en-US')} jtis: ours ${ours.toFixed(1)} B/entry (typed arrays ${oursTyped.toFixed(1)}), Map<string, number> ${map.toFixed(1)} B/entry`,
    );
  }
  const million = figures.at(-1) as (typeof figures)[number];
  const rows: Row[] = [
    {
      target: 2,
      metric: 'memory per revoked jti at 1M (heap + external)',
      unit: 'B',
      ours: million.ours,
      baselineName: 'Map<string, number>',
      baseline: million.map,
      goal: 'ours <= 32 B',
      met: million.ours <= 32,
    },
  ];
  report('memory', 'Target 2: memory per revoked jti', rows, { figures });
  saveChart(
    'memory.svg',
    barChart({
      title: 'Memory per revoked jti (heap + external)',
      yLabel: 'bytes per entry',
      categories: figures.map((f) => `${f.size.toLocaleString('en-US')} jtis`),
      series: [
        { name: 'Revocast list', values: figures.map((f) => f.ours) },
        { name: 'Map<string, number>', values: figures.map((f) => f.map) },
      ],
      marks: [{ y: 32, label: 'target 32 B' }],
    }),
  );
}

await main();
