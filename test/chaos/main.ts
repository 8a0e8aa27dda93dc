import { parseArgs } from 'node:util';
import { runChaos } from './chaos-run.js';
import { formatReport, passed } from './report.js';

/**
 * `npm run chaos [-- --duration 300 --seed 42 --rate 25 --budget 5]`:
 * the long chaos run. Prints the report as Markdown and exits non-zero if
 * anything was lost or accepted late.
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.CHAOS_DURATION ?? '300' },
    seed: { type: 'string', default: process.env.CHAOS_SEED ?? String(Date.now() % 1_000_000) },
    rate: { type: 'string', default: '25' },
    budget: { type: 'string', default: '5' },
    replicas: { type: 'string', default: '2' },
    verifiers: { type: 'string', default: '3' },
  },
});

const number = (name: string, value: string | undefined): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    console.error(`chaos: --${name} must be a positive number (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return parsed;
};

const report = await runChaos({
  durationMs: number('duration', values.duration) * 1000,
  seed: Math.floor(number('seed', values.seed)),
  rate: number('rate', values.rate),
  budgetMs: number('budget', values.budget) * 1000,
  replicas: Math.floor(number('replicas', values.replicas)),
  verifiers: Math.floor(number('verifiers', values.verifiers)),
  log: (line) => console.log(line),
});
console.log(`\n${formatReport(report)}\n`);
if (report.checker.lateAccepts.length > 0) console.log('late accepts:', report.checker.lateAccepts.slice(0, 20));
if (report.lost.length > 0) console.log('lost:', report.lost.slice(0, 10));
console.log(passed(report) ? 'PASSED: nothing lost, nothing accepted late.' : 'FAILED');
process.exit(passed(report) ? 0 : 1);
