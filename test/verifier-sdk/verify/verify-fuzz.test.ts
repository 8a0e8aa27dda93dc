import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocastError, type Verifier } from '@revocast/verifier-sdk';
import { isValidId } from '@revocast/verifier-sdk/protocol';
import { hasLoneSurrogate, hostileString } from '../../support/hostile-input.js';
import { memoryStore, signToken, testVerifier } from '../../support/fixtures.js';

/** The only ways `verify` may refuse a token that is not validly signed and current. */
const TYPED_REFUSALS = ['ERR_TOKEN_INVALID', 'ERR_TOKEN_EXPIRED'];

type Attempt = { accepted: true; claims: Record<string, unknown> } | { accepted: false; code: string; message: string };

/** Runs `verify`, and fails the property on anything thrown that is not a typed refusal. */
async function attempt(verifier: Verifier, token: unknown): Promise<Attempt> {
  try {
    return { accepted: true, claims: await verifier.verify(token as string) };
  } catch (err) {
    if (!(err instanceof RevocastError)) throw new Error(`verify threw ${String(err)}`, { cause: err });
    expect(TYPED_REFUSALS).toContain(err.code);
    return { accepted: false, code: err.code, message: err.message };
  }
}

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const fromB64 = (segment: string) => Buffer.from(segment, 'base64url');
const BASE64URL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

/** One way of damaging a signed token. Positions are taken modulo the length they index. */
type Mutation =
  | { kind: 'flip bit'; segment: number; byte: number; bit: number }
  | { kind: 'replace char'; at: number; char: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'segments'; how: 'append' | 'prepend' | 'duplicate' | 'drop' | 'swap'; extra: string }
  | { kind: 'alphabet'; how: 'standard base64' | 'pad' | 'pad payload' | 'space' | 'newline' | 'upper' | 'lower' }
  | { kind: 'header'; field: string; value: unknown }
  | { kind: 'claim'; name: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip bit' as const), segment: fc.nat(2), byte: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('replace char' as const),
    at: fc.nat(),
    char: fc.oneof(fc.constantFrom(...BASE64URL), fc.constantFrom('+', '/', '=', ' ', '\n', '.', '%', '\u0000', 'é', '😀')),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom('=', '==', ' ', '\n', '.', '..', '+', '/'), hostileString),
  }),
  fc.record({
    kind: fc.constant('segments' as const),
    how: fc.constantFrom('append', 'prepend', 'duplicate', 'drop', 'swap'),
    extra: fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/)),
  }),
  fc.record({
    kind: fc.constant('alphabet' as const),
    how: fc.constantFrom('standard base64', 'pad', 'pad payload', 'space', 'newline', 'upper', 'lower'),
  }),
  fc.record({
    kind: fc.constant('header' as const),
    field: fc.constantFrom('alg', 'typ', 'kid', 'crit', 'b64', 'jwk', 'jku', 'x5u', 'zip'),
    value: fc.oneof(
      fc.constantFrom('none', 'None', 'HS384', 'RS256', 'ES256', 'hs256', 'HS256 ', 'DEF', false),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  }),
  fc.record({
    kind: fc.constant('claim' as const),
    name: fc.constantFrom('jti', 'sub', 'sid', 'exp', 'iat', 'nbf', 'admin'),
    value: fc.oneof(fc.integer(), hostileString, fc.jsonValue({ maxDepth: 2 })),
  }),
);

function rewriteSegment(token: string, index: 0 | 1, change: (json: Record<string, unknown>) => void): string {
  const parts = token.split('.');
  const json = JSON.parse(fromB64(parts[index] as string).toString('utf8')) as Record<string, unknown>;
  change(json);
  parts[index] = b64(JSON.stringify(json));
  return parts.join('.');
}

function mutate(token: string, m: Mutation): string {
  const parts = token.split('.');
  switch (m.kind) {
    case 'flip bit': {
      const bytes = fromB64(parts[m.segment] as string);
      const at = m.byte % bytes.length;
      bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
      parts[m.segment] = b64(bytes);
      return parts.join('.');
    }
    case 'replace char': {
      const at = m.at % token.length;
      return token.slice(0, at) + m.char + token.slice(at + 1);
    }
    case 'truncate':
      return token.slice(0, m.at % token.length);
    case 'insert': {
      const at = m.at % (token.length + 1);
      return token.slice(0, at) + m.text + token.slice(at);
    }
    case 'segments':
      switch (m.how) {
        case 'append':
          return `${token}.${m.extra}`;
        case 'prepend':
          return `${m.extra}.${token}`;
        case 'duplicate':
          return [parts[0], parts[1], parts[1], parts[2]].join('.');
        case 'drop':
          return [parts[0], parts[2]].join('.');
        case 'swap':
          return [parts[1], parts[0], parts[2]].join('.');
      }
      break;
    case 'alphabet':
      switch (m.how) {
        case 'standard base64':
          return token.replaceAll('-', '+').replaceAll('_', '/');
        case 'pad':
          return parts.map((part) => part + '='.repeat((4 - (part.length % 4)) % 4 || 4)).join('.');
        case 'pad payload':
          return [parts[0], `${parts[1]}=`, parts[2]].join('.');
        case 'space':
          return parts.join(' .');
        case 'newline':
          return `${token}\n`;
        case 'upper':
          return token.toUpperCase();
        case 'lower':
          return token.toLowerCase();
      }
      break;
    case 'header':
      return rewriteSegment(token, 0, (header) => (header[m.field] = m.value));
    case 'claim':
      return rewriteSegment(token, 1, (claims) => (claims[m.name] = m.value));
  }
  return token;
}

describe('verify under attack (property tests)', () => {
  const open: Verifier[] = [];
  let hs256: Verifier;
  let es256: Verifier;
  let es256Key: CryptoKey;
  const runs: string[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    es256Key = pair.privateKey;
    hs256 = testVerifier({ source: memoryStore().feed() });
    es256 = testVerifier({ source: memoryStore().feed(), key: pair.publicKey, algorithms: ['ES256'] });
    open.push(hs256, es256);
    await Promise.all(open.map((verifier) => verifier.ready()));
  });
  afterAll(async () => {
    console.log(`verify property runs:\n${runs.map((line) => `  ${line}`).join('\n')}`);
    await Promise.all(open.map((verifier) => verifier.close()));
  });

  it('refuses random strings and non-strings with a typed error, never anything else', async () => {
    let count = 0;
    const input = fc.oneof(
      hostileString,
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.stringMatching(/^[A-Za-z0-9_=+/ -]{0,60}(\.[A-Za-z0-9_=+/ -]{0,60}){0,4}$/),
      fc
        .tuple(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }))
        .map((parts) => parts.map(b64).join('.')),
      fc
        .tuple(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), fc.uint8Array({ maxLength: 64 }))
        .map(
          ([header, payload, signature]) => `${b64(JSON.stringify(header) ?? '')}.${b64(JSON.stringify(payload) ?? '')}.${b64(signature)}`,
        ),
      fc.anything() as fc.Arbitrary<unknown> as fc.Arbitrary<string>,
    );
    await fc.assert(
      fc.asyncProperty(input, fc.boolean(), async (token, useEs256) => {
        count++;
        const result = await attempt(useEs256 ? es256 : hs256, token);
        expect(result.accepted).toBe(false);
      }),
      { numRuns: 1500 },
    );
    runs.push(`${count} random strings and values: all refused with ERR_TOKEN_INVALID`);
  });

  it('never accepts a mutated token: only the exact signed text passes (HS256 and ES256)', async () => {
    const tokens = {
      hs256: await signToken({ sub: 'mallory', sid: 's-1' }),
      es256: await new SignJWT({ jti: randomUUID(), sub: 'mallory' })
        .setProtectedHeader({ alg: 'ES256' })
        .setExpirationTime('10m')
        .sign(es256Key),
    };
    // Sanity: the originals pass, so a refusal below is about the mutation.
    expect((await attempt(hs256, tokens.hs256)).accepted).toBe(true);
    expect((await attempt(es256, tokens.es256)).accepted).toBe(true);
    const seen = { mutants: 0, unchanged: 0 };
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), async (m, useEs256) => {
        const original = useEs256 ? tokens.es256 : tokens.hs256;
        const mutated = mutate(original, m);
        const result = await attempt(useEs256 ? es256 : hs256, mutated);
        if (mutated === original) {
          seen.unchanged++;
          expect(result.accepted).toBe(true);
        } else {
          seen.mutants++;
          expect(result, `accepted a forgery: ${JSON.stringify(m)}`).toMatchObject({ accepted: false });
        }
      }),
      { numRuns: 2000 },
    );
    runs.push(`${seen.mutants} mutated tokens refused (${seen.unchanged} mutations that left the token unchanged were accepted)`);
    expect(seen.mutants).toBeGreaterThan(1500);
  });

  it('refuses oversize tokens by length before anything else, and accepts signed tokens up to the limit', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 7000, max: 9000 }), async (padding) => {
        count++;
        const token = await signToken({ pad: 'x'.repeat(padding) });
        const result = await attempt(hs256, token);
        if (token.length <= 8192) expect(result.accepted).toBe(true);
        else expect(result).toMatchObject({ accepted: false, message: 'token is longer than 8192 characters' });
      }),
      { numRuns: 100 },
    );
    for (const size of [8193, 100_000, 5_000_000]) {
      expect(await attempt(hs256, 'a'.repeat(size))).toMatchObject({ accepted: false, message: 'token is longer than 8192 characters' });
    }
    runs.push(`${count} signed tokens around the 8192-character limit: accepted up to it, refused past it`);
  });

  it('accepts validly signed tokens whose jti, sub and sid are valid ids, with their claims intact, and refuses the others as ERR_TOKEN_INVALID', async () => {
    let count = 0;
    let refused = 0;
    // Registered claims have types jose checks; the custom ones may hold anything.
    const REGISTERED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sid'];
    const claimString = hostileString.filter((value) => !hasLoneSurrogate(value));
    await fc.assert(
      fc.asyncProperty(
        claimString,
        claimString,
        claimString,
        fc.dictionary(
          fc.string({ maxLength: 8 }).filter((name) => !REGISTERED_CLAIMS.includes(name)),
          fc.jsonValue({ maxDepth: 2 }),
          { maxKeys: 4 },
        ),
        async (jti, sub, sid, extra) => {
          count++;
          const claims = { ...extra, jti, sub, sid };
          const result = await attempt(hs256, await signToken(claims));
          if ([jti, sub, sid].every((id) => isValidId(id))) {
            // Compared after a JSON round trip: -0 is written as 0.
            expect(result).toMatchObject({ accepted: true, claims: JSON.parse(JSON.stringify(claims)) as object });
          } else {
            refused++;
            expect(result).toMatchObject({ accepted: false, code: 'ERR_TOKEN_INVALID' });
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(count);
    runs.push(`${count} tokens with arbitrary claim strings: ${count - refused} with valid ids accepted intact, ${refused} refused`);
  });
});
