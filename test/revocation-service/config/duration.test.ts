import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseDuration, parseInterval } from '@revocast/revocation-service';
import { parseTime } from '../../../revocation-service/src/cli/parse-time.js';
import { DURATION_UNITS, formatDuration, readDuration, type DurationUnit } from '../../../revocation-service/src/config/duration.js';
import { parseWaitQuery } from '../../../revocation-service/src/validation/wait-query.js';
import type { FieldError } from '../../../revocation-service/src/validation/fields.js';

const UNITS = Object.keys(DURATION_UNITS) as DurationUnit[];
const unit = fc.constantFrom(...UNITS);
/** A count and a unit whose product is a whole number of milliseconds the grammar can hold. */
const duration = unit.chain((u) =>
  fc.tuple(fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / DURATION_UNITS[u]) }), fc.constant(u)),
);

describe('the duration grammar', () => {
  it('reads every unit, and a bare number as seconds', () => {
    expect(UNITS).toEqual(['ms', 's', 'm', 'h', 'd']);
    expect(readDuration('250ms')).toEqual({ ok: true, ms: 250 });
    expect(readDuration('90s')).toEqual({ ok: true, ms: 90_000 });
    expect(readDuration('15m')).toEqual({ ok: true, ms: 900_000 });
    expect(readDuration('1h')).toEqual({ ok: true, ms: 3_600_000 });
    expect(readDuration('7d')).toEqual({ ok: true, ms: 604_800_000 });
    expect(readDuration('3600')).toEqual({ ok: true, ms: 3_600_000 });
    fc.assert(
      fc.property(duration, ([count, u]) => {
        expect(readDuration(`${count}${u}`)).toEqual({ ok: true, ms: count * DURATION_UNITS[u] });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 1000) }), (count) => {
        expect(readDuration(String(count))).toEqual(readDuration(`${count}s`));
      }),
    );
  });

  it('reads back what it formats, in the largest unit that divides it', () => {
    expect(
      ['0s', '250ms', '90s', '15m', '1h', '7d', '1500ms', '25h'].map((text) => formatDuration((readDuration(text) as { ms: number }).ms)),
    ).toEqual(['0s', '250ms', '90s', '15m', '1h', '7d', '1500ms', '25h']);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ms) => {
        const text = formatDuration(ms);
        expect(readDuration(text)).toEqual({ ok: true, ms });
        // No larger unit would have done: the count is not a multiple of the next unit up.
        const [, count, used] = /^(\d+)(ms|s|m|h|d)$/.exec(text) as unknown as [string, string, DurationUnit];
        const larger = UNITS[UNITS.indexOf(used) + 1];
        if (ms !== 0 && larger !== undefined) expect((Number(count) * DURATION_UNITS[used]) % DURATION_UNITS[larger]).not.toBe(0);
      }),
    );
  });

  it('refuses anything else with a message saying what a duration is', () => {
    const refused = [
      '',
      ' 1s',
      '1s ',
      '1 s',
      '-1s',
      '+1s',
      '1.5s',
      '.5s',
      '1e3',
      '0x10',
      '1w',
      '1S',
      '1sm',
      's',
      'ms',
      'Infinity',
      '١٢s',
      '1 week',
    ];
    for (const text of refused) {
      const reading = readDuration(text);
      expect(reading, text).toEqual({ ok: false, problem: expect.stringMatching(/^is not a duration: .*ms, s, m, h or d/) });
    }
    fc.assert(
      fc.property(
        fc.string().filter((text) => !/^\d+(ms|s|m|h|d)?$/.test(text)),
        (text) => {
          const reading = readDuration(text);
          expect(reading.ok).toBe(false);
          expect(reading.ok ? '' : reading.problem).toContain('is not a duration');
        },
      ),
    );
  });

  it('refuses a duration too long to count in milliseconds exactly, saying so', () => {
    expect(readDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toEqual({ ok: true, ms: Number.MAX_SAFE_INTEGER });
    expect(readDuration('9007199254740992ms')).toEqual({ ok: false, problem: expect.stringContaining('longer than any duration') });
    expect(readDuration('999999999999d')).toEqual({ ok: false, problem: expect.stringContaining('longer than any duration') });
  });
});

/**
 * The four readers each had a grammar of their own before they shared this
 * one; each still accepts everything it accepted then, with the same value.
 * These are the old readers, as they were.
 */
const before = {
  /** parseDuration: seconds from `\d+[smhd]?`, trimmed, positive. */
  seconds(value: string): number | undefined {
    const match = /^(\d+)([smhd]?)$/.exec(value.trim());
    const seconds = match === null ? Number.NaN : Number(match[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[match[2] || 's'] as number);
    return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
  },
  /** parseInterval: milliseconds from `\d+(ms|s|m|h)?`, trimmed, at least 10. */
  interval(value: string): number | undefined {
    const match = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
    const ms = match === null ? Number.NaN : Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] as number);
    return Number.isSafeInteger(ms) && ms >= 10 ? ms : undefined;
  },
  /** wait=all's timeout: `\d{1,6}(ms|s)?`, 1 ms to 30 s. */
  timeout(value: string): number | undefined {
    const match = /^(\d{1,6})(ms|s)?$/.exec(value);
    const ms = match === null ? Number.NaN : Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
    return ms >= 1 && ms <= 30_000 ? ms : undefined;
  },
  /** The CLI's relative time: `+\d+[smhd]`, seconds from now. */
  relative(value: string, nowSeconds: number): number | undefined {
    const match = /^\+(\d+)([smhd])$/.exec(value);
    return match === null ? undefined : nowSeconds + Number(match[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 }[match[2] as string] as number);
  },
};

const digits = fc.oneof(fc.integer({ min: 0, max: 10_000 }).map(String), fc.stringMatching(/^\d{1,17}$/));
const padded = (text: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom('', ' ', '\t'), text, fc.constantFrom('', ' ', '\n')).map(([a, t, b]) => a + t + b);

function timeoutOf(timeout: string): number | FieldError[] {
  const errors: FieldError[] = [];
  const wait = parseWaitQuery('all', timeout, errors);
  return errors.length > 0 ? errors : (wait?.timeoutMs as number);
}

describe('the readers of durations, on the one grammar', () => {
  it('read every duration setting the seconds reader read before, to the same seconds', () => {
    fc.assert(
      fc.property(padded(fc.tuple(digits, fc.constantFrom('', 's', 'm', 'h', 'd')).map(([n, u]) => n + u)), (value) => {
        const old = before.seconds(value);
        fc.pre(old !== undefined && old * 1000 <= Number.MAX_SAFE_INTEGER);
        expect(parseDuration('REVOCAST_MAX_TOKEN_TTL', value)).toBe(old);
      }),
    );
    // New with the shared grammar: milliseconds, when they make whole seconds.
    expect(parseDuration('REVOCAST_MAX_TOKEN_TTL', '90000ms')).toBe(90);
    expect(() => parseDuration('REVOCAST_MAX_TOKEN_TTL', '1500ms')).toThrow(ConfigError);
    expect(() => parseDuration('REVOCAST_MAX_TOKEN_TTL', '0')).toThrow(
      'REVOCAST_MAX_TOKEN_TTL must be a positive duration such as 3600, 90s, 15m, 1h or 7d (got "0")',
    );
  });

  it('read every interval setting the interval reader read before, to the same milliseconds', () => {
    fc.assert(
      fc.property(padded(fc.tuple(digits, fc.constantFrom('', 'ms', 's', 'm', 'h')).map(([n, u]) => n + u)), (value) => {
        const old = before.interval(value);
        fc.pre(old !== undefined);
        expect(parseInterval('REVOCAST_OUTBOX_INTERVAL', value)).toBe(old);
      }),
    );
    expect(parseInterval('REVOCAST_RECONCILE_INTERVAL', '1d')).toBe(86_400_000);
    expect(() => parseInterval('REVOCAST_OUTBOX_INTERVAL', '5ms')).toThrow(
      'REVOCAST_OUTBOX_INTERVAL must be an interval of at least 10ms such as 250ms, 1s or 5m (got "5ms")',
    );
  });

  it('read every wait=all timeout the query reader read before, to the same milliseconds, and refuse the same way', () => {
    fc.assert(
      fc.property(
        fc.tuple(digits, fc.constantFrom('', 'ms', 's')).map(([n, u]) => n + u),
        (value) => {
          const old = before.timeout(value);
          fc.pre(old !== undefined);
          expect(timeoutOf(value)).toBe(old);
        },
      ),
    );
    expect(timeoutOf('0m')).toEqual([{ field: 'timeout', message: 'must be a duration from 1ms to 30s, such as 2s or 500ms' }]);
    expect(timeoutOf('31s')).toEqual([{ field: 'timeout', message: 'must be a duration from 1ms to 30s, such as 2s or 500ms' }]);
    expect(timeoutOf('soon')).toEqual([{ field: 'timeout', message: 'must be a duration from 1ms to 30s, such as 2s or 500ms' }]);
  });

  it('read every relative time the CLI read before, to the same epoch seconds', () => {
    const now = Date.parse('2026-11-29T12:00:00.500Z');
    fc.assert(
      fc.property(
        fc.tuple(digits, fc.constantFrom('s', 'm', 'h', 'd')).map(([n, u]) => `+${n}${u}`),
        (value) => {
          const old = before.relative(value, Math.floor(now / 1000));
          fc.pre(old !== undefined && Number.isSafeInteger(old * 1000));
          expect(parseTime(value, '--exp', () => now)).toBe(old);
        },
      ),
    );
    // New with the shared grammar: milliseconds and bare seconds (`+90` was read as the year 1990 before).
    expect(parseTime('+1500ms', '--exp', () => now)).toBe(Math.floor(now / 1000) + 1.5);
    expect(parseTime('+90', '--exp', () => now)).toBe(Math.floor(now / 1000) + 90);
    expect(parseTime('1767225600', '--exp')).toBe(1_767_225_600);
    expect(parseTime('2026-01-01T00:00:00Z', '--exp')).toBe(1_767_225_600);
    expect(() => parseTime('+1w', '--exp')).toThrow('--exp: give epoch seconds, an ISO 8601 date or +15m/+2h/+7d (got "+1w")');
  });
});
