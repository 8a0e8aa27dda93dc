/**
 * The one duration grammar of the service: environment variables
 * (`REVOCAST_MAX_TOKEN_TTL=1d`, `REVOCAST_OUTBOX_INTERVAL=250ms`), the
 * `timeout` of `wait=all` and the CLI's relative times (`--exp +15m`) all
 * read durations here. A duration is a whole number and a unit: `ms`, `s`,
 * `m`, `h` or `d`; a bare number is seconds. No sign, fraction or spaces.
 * Each reader then applies its own range (whole seconds, at least 10 ms,
 * at most 30 s, ...).
 */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)?$/;

/** Milliseconds per unit. */
export const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export type DurationUnit = keyof typeof DURATION_UNITS;

/** A duration read, or why the text is not one. */
export type DurationReading = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly problem: string };

const NOT_A_DURATION =
  'is not a duration: give a whole number and a unit, ms, s, m, h or d (none: seconds), such as 250ms, 90s, 15m, 1h or 7d';

/**
 * Reads a duration in milliseconds.
 *
 * @example
 * ```ts
 * readDuration('15m'); // { ok: true, ms: 900000 }
 * readDuration('3600'); // { ok: true, ms: 3600000 }
 * readDuration('1 week'); // { ok: false, problem: 'is not a duration: …' }
 * ```
 */
export function readDuration(text: string): DurationReading {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) return { ok: false, problem: NOT_A_DURATION };
  const ms = Number(match[1]) * DURATION_UNITS[(match[2] ?? 's') as DurationUnit];
  // Past 2^53 ms (about 285,000 years) a count of milliseconds is no longer exact.
  if (!Number.isSafeInteger(ms)) return { ok: false, problem: 'is longer than any duration the service can count (about 285,000 years)' };
  return { ok: true, ms };
}

const LARGEST_FIRST = (Object.keys(DURATION_UNITS) as DurationUnit[]).reverse();

/** The shortest text {@link readDuration} reads back as `ms` (a whole number of milliseconds): `90000` is `90s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const unit = LARGEST_FIRST.find((each) => ms % DURATION_UNITS[each] === 0) as DurationUnit;
  return `${ms / DURATION_UNITS[unit]}${unit}`;
}
