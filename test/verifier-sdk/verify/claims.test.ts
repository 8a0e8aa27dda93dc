import fc from 'fast-check';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { RevocastError, createClaimsValidator, type ClaimsRules } from '@revocast/verifier-sdk';
import { MAX_ID_LENGTH } from '@revocast/verifier-sdk/protocol';
import { SECRET } from '../../support/fixtures.js';

const NOW_MS = 1_700_000_000_500;
const NOW = Math.floor(NOW_MS / 1000);
const rules: ClaimsRules = { clockTolerance: 5, requiredClaims: ['exp', 'jti'], clock: () => NOW_MS };

/** The code a validator throws for `payload`, or 'accepted'. */
function judged(validate: (payload: unknown) => unknown, payload: unknown): string {
  try {
    validate(payload);
    return 'accepted';
  } catch (err) {
    if (!(err instanceof RevocastError)) throw err;
    return err.code;
  }
}

describe('createClaimsValidator', () => {
  const validate = createClaimsValidator(rules);
  const base = { jti: 'a', exp: NOW + 60 };

  it('accepts claims within every rule and returns them as they are', () => {
    const claims = { ...base, sub: 'alice', sid: 's', iat: NOW_MS / 1000, nbf: NOW, extra: { any: ['thing'] } };
    expect(validate(claims)).toBe(claims);
  });

  it('refuses an iat later than now plus the tolerance, to the millisecond', () => {
    expect(judged(validate, { ...base, iat: NOW_MS / 1000 + 5 })).toBe('accepted');
    expect(judged(validate, { ...base, iat: NOW_MS / 1000 + 5.001 })).toBe('ERR_TOKEN_INVALID');
    expect(judged(validate, { ...base, iat: NOW + 3600 })).toBe('ERR_TOKEN_INVALID');
    // With no tolerance, a token issued this very millisecond still passes.
    expect(judged(createClaimsValidator({ ...rules, clockTolerance: 0 }), { ...base, iat: NOW_MS / 1000 })).toBe('accepted');
  });

  it('refuses exp, nbf and iat that are not finite numbers', () => {
    for (const name of ['exp', 'nbf', 'iat']) {
      for (const value of [Infinity, -Infinity, NaN, '1', null, [1], { n: 1 }, true]) {
        expect(judged(validate, { ...base, [name]: value }), `${name}: ${String(value)}`).toBe('ERR_TOKEN_INVALID');
      }
    }
  });

  it('refuses jti, sub and sid that are not valid ids: numbers, arrays, objects, empty, over-long or with controls', () => {
    for (const name of ['jti', 'sub', 'sid']) {
      for (const value of [42, 0, ['a'], { id: 'a' }, null, true, '', 'x'.repeat(MAX_ID_LENGTH + 1), 'a\u0000b', '\ud800']) {
        expect(judged(validate, { ...base, [name]: value }), `${name}: ${JSON.stringify(value)}`).toBe('ERR_TOKEN_INVALID');
      }
      expect(judged(validate, { ...base, [name]: 'x'.repeat(MAX_ID_LENGTH) })).toBe('accepted');
    }
  });

  it('has jose semantics for exp, nbf, required claims, iss and aud', () => {
    expect(judged(validate, { ...base, exp: NOW - 5 })).toBe('ERR_TOKEN_EXPIRED');
    expect(judged(validate, { ...base, exp: NOW - 4 })).toBe('accepted');
    expect(judged(validate, { ...base, nbf: NOW + 5 })).toBe('accepted');
    expect(judged(validate, { ...base, nbf: NOW + 6 })).toBe('ERR_TOKEN_INVALID');
    expect(judged(validate, { exp: NOW + 60 })).toBe('ERR_TOKEN_INVALID');
    expect(judged(validate, { jti: 'a' })).toBe('ERR_TOKEN_INVALID');
    const strict = createClaimsValidator({ ...rules, issuer: ['https://a', 'https://b'], audience: 'api' });
    expect(judged(strict, { ...base, iss: 'https://b', aud: ['x', 'api'] })).toBe('accepted');
    expect(judged(strict, { ...base, iss: 'https://c', aud: 'api' })).toBe('ERR_TOKEN_INVALID');
    expect(judged(strict, { ...base, iss: 'https://a', aud: ['x'] })).toBe('ERR_TOKEN_INVALID');
    expect(judged(strict, { ...base, aud: 'api' })).toBe('ERR_TOKEN_INVALID');
  });

  it('refuses what is not a claims object, and turns a throwing getter into ERR_TOKEN_INVALID', () => {
    for (const payload of [null, undefined, 'x', 42, ['jti'], true]) expect(judged(validate, payload)).toBe('ERR_TOKEN_INVALID');
    const hostile = {
      ...base,
      get sub(): string {
        throw new RangeError('boom');
      },
    };
    expect(judged(validate, hostile)).toBe('ERR_TOKEN_INVALID');
  });

  it('never quotes the claims in its messages', () => {
    for (const payload of [
      { ...base, sub: 'evil\r\nX: 1' },
      { ...base, exp: 'evil€' },
      { ...base, iat: NOW + 999, jti: '€' },
    ]) {
      try {
        validate(payload);
        expect.unreachable();
      } catch (err) {
        expect((err as Error).message).toMatch(/^[\x20-\x7e]+$/);
      }
    }
  });

  it('agrees with jose on exp, nbf, iss, aud and required claims, and refuses an iat ahead besides (property)', async () => {
    const offset = fc.integer({ min: -20, max: 20 });
    const claimSet = fc.record(
      {
        jti: fc.constantFrom('a', 'b'),
        exp: offset.map((d) => NOW + d),
        nbf: offset.map((d) => NOW + d),
        iat: offset.map((d) => NOW + d - 10),
        iss: fc.constantFrom('https://a', 'https://c', 7),
        aud: fc.oneof(fc.constantFrom('api', 'web'), fc.array(fc.constantFrom('api', 'web', 'x'), { maxLength: 2 })),
      },
      { requiredKeys: [] },
    );
    const strictRules: ClaimsRules = { ...rules, issuer: 'https://a', audience: ['api'] };
    const validateStrict = createClaimsValidator(strictRules);
    await fc.assert(
      fc.asyncProperty(claimSet, async (claims) => {
        const token = await new SignJWT(claims as Record<string, unknown>).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
        let jose: string;
        try {
          await jwtVerify(token, SECRET, {
            ...strictRules,
            requiredClaims: [...strictRules.requiredClaims],
            issuer: 'https://a',
            audience: ['api'],
            currentDate: new Date(NOW_MS),
          });
          jose = 'accepted';
        } catch (err) {
          jose = err instanceof joseErrors.JWTExpired ? 'ERR_TOKEN_EXPIRED' : 'ERR_TOKEN_INVALID';
        }
        // jose checks iat only with maxTokenAge; beyond that the two agree exactly.
        const iatAhead = claims.iat !== undefined && claims.iat * 1000 > NOW_MS + 5000;
        expect(judged(validateStrict, claims)).toBe(
          iatAhead && (jose === 'accepted' || jose === 'ERR_TOKEN_EXPIRED') ? 'ERR_TOKEN_INVALID' : jose,
        );
      }),
      { numRuns: 300 },
    );
  });
});
