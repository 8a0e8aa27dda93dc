import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { SECRET } from './fixtures.js';

const b64 = (value: string) => Buffer.from(value).toString('base64url');

/** A compact token from raw header and payload JSON text, HMAC-signed with the test key or with a junk signature. */
export function rawToken(header: string, payload: string, signed: boolean): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${signed ? createHmac('sha256', SECRET).update(input).digest('base64url') : 'c2ln'}`;
}

/** Visible ASCII and space: what a quoted header parameter may hold. */
export const SAFE_HEADER = /^[\x20-\x7e]*$/;

/** Bytes a client can send in a header value: tab, visible ASCII and obs-text (0x80 to 0xFF), as latin1 text. */
const rawHeader = fc
  .array(fc.oneof(fc.constant(0x09), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 120 })
  .map((bytes) => Buffer.from(bytes).toString('latin1'));

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('€', '\r\n', '\u0000', '"', '\\', '\ud800', 'alg', 'b64'),
);

const headerJson = fc.oneof(
  fc
    .record({ alg: fc.constantFrom('HS256', 'none', 'RS256', 'hs256'), crit: fc.array(text, { maxLength: 3 }) }, { requiredKeys: ['alg'] })
    .map((h) => JSON.stringify(h)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const claim = fc.oneof(
  fc.double(),
  fc.integer(),
  text,
  fc.constantFrom('1e400', '-1e400', 'null', '[]', '{}'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
);

const payloadJson = fc.oneof(
  fc.record({ jti: claim, sub: claim, sid: claim, exp: claim, nbf: claim, iat: claim, aud: claim }, { requiredKeys: [] }).map(
    (c) =>
      `{${Object.entries(c)
        .map(
          ([name, value]) =>
            `"${name}":${typeof value === 'string' && /^(-?1e400|null|\[\]|\{\}|\[.*\]|\{.*\}|-?\d.*|true|false)$/.test(value) ? value : (JSON.stringify(value) ?? 'null')}`,
        )
        .join(',')}}`,
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const tokenHeader = fc
  .record({
    scheme: fc.constantFrom('Bearer ', 'bearer ', 'Bearer\t', 'Basic ', ''),
    header: headerJson,
    payload: payloadJson,
    signed: fc.boolean(),
    tail: fc.constantFrom('', '=', ' ', '.x'),
  })
  .map(({ scheme, header, payload, signed, tail }) => `${scheme}${rawToken(header, payload, signed)}${tail}`);

/**
 * An `Authorization` header value as a client can put it on the wire (latin1
 * text): random bytes, `Bearer` and random bytes, or a token whose header and
 * payload say anything (hostile `crit` names, 1e400, deep nesting), signed
 * with the test key or not.
 */
export const hostileAuthorization: fc.Arbitrary<string> = fc.oneof(
  rawHeader,
  rawHeader.map((h) => `Bearer ${h}`),
  tokenHeader,
);
