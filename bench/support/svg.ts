/**
 * Small hand-written SVG charts, so the benchmarks draw their own data
 * without a charting dependency.
 */

const WIDTH = 780;
const HEIGHT = 440;
const MARGIN = { left: 84, right: 200, top: 56, bottom: 64 };
const PALETTE = ['#1f6fb4', '#d0342c', '#2a9d3a', '#e67e00', '#7b4fb0', '#555555'];

export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly dashed?: boolean;
}

/** A horizontal reference line, such as a target. */
export interface Mark {
  readonly y: number;
  readonly label: string;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  /** Draw each series as steps (for distributions). */
  readonly step?: boolean;
  readonly marks?: readonly Mark[];
  readonly yMin?: number;
}

export interface BarChartOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: ReadonlyArray<{ readonly name: string; readonly values: readonly number[] }>;
  readonly marks?: readonly Mark[];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function label(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6 && abs % 1e6 === 0) return `${value / 1e6}M`;
  if (abs >= 1e3 && abs % 1e3 === 0) return `${value / 1e3}k`;
  if (abs >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

interface Axis {
  readonly scale: (value: number) => number;
  readonly ticks: readonly number[];
}

function linearAxis(min: number, max: number, from: number, to: number): Axis {
  const span = max - min || 1;
  const raw = span / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = low; t <= high + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { scale: (v) => from + ((v - low) / (high - low || 1)) * (to - from), ticks };
}

function logAxis(min: number, max: number, from: number, to: number): Axis {
  const low = Math.floor(Math.log10(Math.max(min, 1e-12)));
  const high = Math.ceil(Math.log10(Math.max(max, 1e-12)));
  const ticks: number[] = [];
  for (let p = low; p <= high; p++) ticks.push(10 ** p);
  const span = high - low || 1;
  return { scale: (v) => from + ((Math.log10(Math.max(v, 1e-12)) - low) / span) * (to - from), ticks };
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function axes(x: Axis | null, y: Axis, xLabel: string, yLabel: string, xText: (v: number) => string): string[] {
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const out: string[] = [];
  for (const t of y.ticks) {
    const py = y.scale(t);
    out.push(`<line x1="${left}" x2="${right}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${left - 8}" y="${(py + 4).toFixed(1)}" text-anchor="end">${escapeXml(label(t))}</text>`);
  }
  if (x !== null) {
    for (const t of x.ticks) {
      const px = x.scale(t);
      out.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#f0f0f0"/>`);
      out.push(`<text x="${px.toFixed(1)}" y="${bottom + 18}" text-anchor="middle">${escapeXml(xText(t))}</text>`);
    }
  }
  out.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#333"/>`);
  out.push(`<text x="${(left + right) / 2}" y="${HEIGHT - 18}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(20 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  return out;
}

function legend(names: ReadonlyArray<{ name: string; dashed?: boolean }>): string[] {
  const x = WIDTH - MARGIN.right + 16;
  return names.flatMap(({ name, dashed }, i) => {
    const y = MARGIN.top + 10 + i * 22;
    const color = PALETTE[i % PALETTE.length] as string;
    return [
      `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"${dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${x + 30}" y="${y + 4}">${escapeXml(name)}</text>`,
    ];
  });
}

function markLines(marks: readonly Mark[], y: Axis): string[] {
  return marks.flatMap((mark) => {
    const py = y.scale(mark.y).toFixed(1);
    return [
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="#000" stroke-dasharray="2 3"/>`,
      `<text x="${WIDTH - MARGIN.right - 4}" y="${Number(py) - 5}" text-anchor="end" font-style="italic">${escapeXml(mark.label)}</text>`,
    ];
  });
}

/** Lines (or steps) of x/y points, optionally on log axes. */
export function lineChart(options: LineChartOptions): string {
  const xs = options.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...options.series.flatMap((s) => s.points.map((p) => p[1])), ...(options.marks ?? []).map((m) => m.y)];
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const x =
    options.xLog === true
      ? logAxis(Math.min(...xs), Math.max(...xs), left, right)
      : linearAxis(Math.min(...xs), Math.max(...xs), left, right);
  const yMin = options.yMin ?? Math.min(0, ...ys);
  const y = options.yLog === true ? logAxis(Math.min(...ys), Math.max(...ys), bottom, top) : linearAxis(yMin, Math.max(...ys), bottom, top);
  const body = axes(x, y, options.xLabel, options.yLabel, label);
  options.series.forEach((series, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const points: string[] = [];
    series.points.forEach(([px, py], j) => {
      const sx = x.scale(px).toFixed(1);
      const sy = y.scale(py).toFixed(1);
      if (options.step === true && j > 0) points.push(`${sx},${y.scale(series.points[j - 1]?.[1] ?? py).toFixed(1)}`);
      points.push(`${sx},${sy}`);
    });
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2.5"${series.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${points.join(' ')}"/>`,
    );
    if (options.step !== true) {
      for (const [px, py] of series.points)
        body.push(`<circle cx="${x.scale(px).toFixed(1)}" cy="${y.scale(py).toFixed(1)}" r="3.5" fill="${color}"/>`);
    }
  });
  body.push(...markLines(options.marks ?? [], y), ...legend(options.series));
  return frame(options.title, body);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(options: BarChartOptions): string {
  const values = [...options.series.flatMap((s) => s.values), ...(options.marks ?? []).map((m) => m.y)];
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const y = linearAxis(0, Math.max(...values), bottom, MARGIN.top);
  const body = axes(null, y, '', options.yLabel, label);
  const groupWidth = (right - left) / options.categories.length;
  const barWidth = (groupWidth * 0.7) / options.series.length;
  options.categories.forEach((category, c) => {
    const groupLeft = left + c * groupWidth + groupWidth * 0.15;
    options.series.forEach((series, s) => {
      const value = series.values[c] ?? 0;
      const top = y.scale(value);
      const bx = groupLeft + s * barWidth;
      body.push(
        `<rect x="${bx.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${(bottom - top).toFixed(1)}" fill="${PALETTE[s % PALETTE.length]}"/>`,
      );
      body.push(
        `<text x="${(bx + (barWidth - 4) / 2).toFixed(1)}" y="${(top - 5).toFixed(1)}" text-anchor="middle" font-size="11">${escapeXml(label(Number(value.toPrecision(3))))}</text>`,
      );
    });
    body.push(
      `<text x="${(left + c * groupWidth + groupWidth / 2).toFixed(1)}" y="${bottom + 20}" text-anchor="middle">${escapeXml(category)}</text>`,
    );
  });
  body.push(...markLines(options.marks ?? [], y), ...legend(options.series));
  return frame(options.title, body);
}
