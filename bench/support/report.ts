import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where every benchmark writes its JSON figures and SVG charts. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** One measured figure next to the baseline measured in the same run. */
export interface Row {
  /** The target number: 1 to 7 for the first performance targets, 12.1 to 12.5 for those of never-seen tokens. */
  readonly target: number;
  readonly metric: string;
  readonly unit: string;
  readonly ours: number;
  readonly baselineName: string;
  readonly baseline: number;
  /** The goal as text, e.g. "<= 2%" or "p99 <= 250 ns". */
  readonly goal: string;
  readonly met: boolean;
  /**
   * The ratio when it is measured in pairs rather than as ours / baseline:
   * the median of the ratios of measurements taken side by side (the metric
   * says so). `ours` and `baseline` are then the medians of each side.
   */
  readonly ratio?: number;
}

/** The row's ratio: the paired one when it has one, else ours / baseline. */
export function ratio(row: Pick<Row, 'ours' | 'baseline' | 'ratio'>): number {
  return row.ratio ?? row.ours / row.baseline;
}

function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function ratioText(value: number): string {
  if (value >= 0.1 || value === 0) return `${value.toFixed(value >= 10 ? 1 : 3)}x`;
  return `${(value * 100).toPrecision(2)}%`;
}

/** The rows as a Markdown table: ours, the baseline, the ratio, the goal. */
export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| # | Metric | Ours | Baseline (same run) | Ratio | Goal | Met |', '|---|---|---:|---|---:|---|:---:|'];
  for (const row of rows) {
    lines.push(
      `| ${row.target} | ${row.metric} | ${figure(row.ours)} ${row.unit} | ${row.baselineName}: ${figure(row.baseline)} ${row.unit} | ${ratioText(ratio(row))} | ${row.goal} | ${row.met ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/** Prints the table and stores the rows (and any extra data) as `results/<name>.json`. */
export function report(name: string, title: string, rows: readonly Row[], data: Record<string, unknown> = {}): void {
  console.log(`\n## ${title}\n`);
  console.log(markdownTable(rows));
  console.log('');
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, `${name}.json`),
    `${JSON.stringify({ name, title, rows, data, at: new Date().toISOString() }, null, 2)}\n`,
  );
}

/** Writes an SVG chart into the results folder. */
export function saveChart(file: string, svg: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, file), svg);
  console.log(`chart: bench/results/${file}`);
}
