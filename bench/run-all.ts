/**
 * Runs every benchmark, each in its own process, then writes
 * bench/results/summary.md: the machine and one table of every target.
 *
 *   npm run bench                      # all of them
 *   npm run bench -- check-latency     # some of them, by name
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR, markdownTable, type Row } from './support/report.js';

const BENCHMARKS = [
  'check-latency',
  'memory',
  'repeated-token',
  'express-throughput',
  'propagation',
  'join',
  'snapshot-join',
  'prune-pause',
  'never-seen-token',
  'never-seen-express',
  'mixed-workload',
  'fan-out',
  'join-herd',
];
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', '--expose-gc', join('bench', `${name}.ts`)], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`))));
  });
}

function machine(): string {
  const cpu = cpus();
  return [
    `- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} logical cores`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    `- Node.js ${process.version}, ${process.platform} ${process.arch}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  for (const name of chosen)
    if (!BENCHMARKS.includes(name)) throw new Error(`no benchmark named ${name}; choose from ${BENCHMARKS.join(', ')}`);
  const names = chosen.length > 0 ? chosen : BENCHMARKS;
  const loadBefore = loadavg();
  const started = new Date();
  for (const name of names) {
    console.log(`\n=== ${name} ===`);
    await run(name);
  }
  const loadAfter = loadavg();
  const rows: Row[] = [];
  for (const name of BENCHMARKS) {
    try {
      rows.push(...(JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as { rows: Row[] }).rows);
    } catch {
      // Not run yet.
    }
  }
  rows.sort((a, b) => a.target - b.target);
  const summary = [
    `# Benchmark results (${started.toISOString()})`,
    '',
    machine(),
    `- Load average (1 min) before: ${loadBefore[0]?.toFixed(2)}, after: ${loadAfter[0]?.toFixed(2)}`,
    `- Run now: ${names.join(', ')}; other rows come from the last run of their benchmark`,
    '',
    markdownTable(rows),
    '',
  ].join('\n');
  writeFileSync(join(RESULTS_DIR, 'summary.md'), summary);
  console.log(`\n${summary}`);
}

await main();
