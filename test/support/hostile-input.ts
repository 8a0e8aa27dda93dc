import fc from 'fast-check';

/** Strings that have broken parsers, stores, shells and templates before. */
export const INJECTIONS: readonly string[] = [
  "' OR '1'='1",
  "'; DROP TABLE revocations; --",
  '" OR ""="',
  '../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '%00',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, sent as these very characters
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '$(id)',
  '`id`',
  '| cat /etc/passwd',
  'redis.call("FLUSHALL")',
  '\r\nFLUSHALL\r\n',
  '*',
  '?',
  '[a-z]',
  '\\',
  '{revocast}:meta',
  'token:x',
  'jti:x',
  '__proto__',
  'constructor',
  'toString',
  'NaN',
  'null',
  '1e309',
  ' ',
  '%',
  '%zz',
  '#',
  '&',
  '=',
  '+',
  '/',
  '.',
  '..',
  '\u2028\u2029',
  '\ufeff',
  '\u202e',
  'İ',
  'ß',
  '😀',
  '\u{10ffff}',
  '\ud800',
  '\udfff',
  'a\u0000b',
  '\u001b[31m',
  '\u0085',
];

/** Characters that are special somewhere: quotes, separators, controls, lone surrogates. */
const SHARP_CHARS = ['\u0000', '\u001f', '\u007f', '\u0085', '\ud800', '\udc00', '"', "'", '\\', '/', '%', '.', ':', '{', '}', ' ', '\n'];

/**
 * Any string an attacker might put in an id, a header or a query: injection
 * payloads, arbitrary Unicode (astral planes, combining marks), control
 * characters and lone surrogates, alone and mixed.
 */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...SHARP_CHARS), maxLength: 8 }),
  fc.tuple(fc.constantFrom(...INJECTIONS), fc.string({ unit: 'binary', maxLength: 10 })).map(([a, b]) => a + b),
);

/** Whether `value` has a lone surrogate, which no UTF-8 text can carry. */
export function hasLoneSurrogate(value: string): boolean {
  return /[\ud800-\udfff]/u.test(value);
}

/** `unit` repeated until the string is exactly `length` UTF-16 code units (padded with "a" when `unit` does not divide it). */
function ofLength(unit: string, length: number): string {
  const body = unit.repeat(Math.floor(length / unit.length));
  return body + 'a'.repeat(length - body.length);
}

/** Ids at and around the length limit, counted in UTF-16 code units, in each kind of character. */
export function boundaryIds(max: number): string[] {
  const out: string[] = [];
  for (const unit of ['a', '😀', 'é', 'e\u0301', '\u{10ffff}', '中'])
    for (const length of [max - 1, max, max + 1]) out.push(ofLength(unit, length));
  out.push('😀'.repeat(129), '😀'.repeat(128), `${'a'.repeat(255)}😀`, `${'a'.repeat(254)}😀`);
  return out;
}

/**
 * Candidate ids, valid or not: astral characters, combining marks, control
 * characters, lone surrogates, long strings, lengths at the limit (given in
 * UTF-16 code units) and mixes of these.
 */
export function idCandidate(max: number): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom('a', 'Z', '9', '-', '😀', '\u{1f3f3}\u{fe0f}\u200d\u{1f308}', 'e\u0301', '\u0301', '中', 'ß', '\u{10ffff}', '\ufffd'),
    fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f', '\n', '\t'),
    fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'),
    fc.string({ unit: 'grapheme', maxLength: 4 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => parts.join('')) },
    { weight: 2, arbitrary: fc.constantFrom(...boundaryIds(max)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('a', '😀', 'é', 'e\u0301'), fc.integer({ min: max - 3, max: max + 3 }), fc.array(piece, { maxLength: 2 }))
        .map(([unit, length, extra]) => ofLength(unit, length - extra.join('').length) + extra.join('')),
    },
    { weight: 1, arbitrary: fc.constantFrom(...INJECTIONS) },
  );
}
