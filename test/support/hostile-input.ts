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
