import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RevocastError,
  TokenRevokedError,
  authErrorBody,
  bearerChallenge,
  bearerToken,
  cookieValue,
  createAuthenticator,
  extractToken,
  toAuthError,
  type ErrorCode,
  type Verifier,
} from '@revocast/verifier-sdk';
import { hostileString } from '../../support/hostile-input.js';

/** Visible ASCII and space: what a header value can carry anywhere without encoding. */
const SAFE_HEADER = /^[\x20-\x7e]*$/;

describe('token extraction', () => {
  it('takes the token of a Bearer header, whatever the scheme case, and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer\tabc.def.ghi  ')).toBe('abc.def.ghi');
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearerabc', undefined, null]) {
      expect(bearerToken(value), String(value)).toBeUndefined();
    }
  });

  it('reads a cookie by exact name, unquoted and percent-decoded, and gives up on bad escapes', () => {
    expect(cookieValue('theme=dark; access_token=a.b.c', 'access_token')).toBe('a.b.c');
    expect(cookieValue('access_token="a%2Eb"', 'access_token')).toBe('a.b');
    expect(cookieValue('xaccess_token=a; access_tokenx=b', 'access_token')).toBeUndefined();
    expect(cookieValue('access_token=%zz', 'access_token')).toBeUndefined();
    expect(cookieValue(undefined, 'access_token')).toBeUndefined();
  });

  it('prefers the Authorization header and falls back to the named cookie only', () => {
    expect(extractToken({ authorization: 'Bearer h.h.h', cookie: 'at=c.c.c' }, 'at')).toBe('h.h.h');
    expect(extractToken({ authorization: 'Basic x', cookie: 'at=c.c.c' }, 'at')).toBe('c.c.c');
    expect(extractToken({ cookie: 'at=c.c.c' })).toBeUndefined();
    expect(extractToken({ authorization: null, cookie: null }, 'at')).toBeUndefined();
  });

  it('only ever extracts b64token characters from an Authorization header', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileString,
          hostileString.map((s) => `Bearer ${s}`),
        ),
        (value) => {
          const token = bearerToken(value);
          expect(token === undefined || /^[A-Za-z0-9\-._~+/]+=*$/.test(token)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the RFC 6750 challenge builder', () => {
  const challenge = bearerChallenge('shop');

  it('answers a missing token and a 503 with the bare challenge, and a judged token with invalid_token', () => {
    expect(challenge()).toBe('Bearer realm="shop"');
    expect(challenge({ code: 'ERR_TOKEN_MISSING', status: 401 })).toBe('Bearer realm="shop"');
    expect(challenge({ code: 'ERR_LIST_STALE', status: 503 })).toBe('Bearer realm="shop"');
    expect(challenge({ code: 'ERR_TOKEN_EXPIRED', status: 401 })).toBe(
      'Bearer realm="shop", error="invalid_token", error_description="the token has expired"',
    );
    expect(challenge({ code: 'ERR_TOKEN_REVOKED', status: 401 })).toBe(
      'Bearer realm="shop", error="invalid_token", error_description="the token has been revoked"',
    );
    expect(challenge({ code: 'ERR_TOKEN_INVALID', status: 401 })).toBe(
      'Bearer realm="shop", error="invalid_token", error_description="the token is invalid"',
    );
  });

  it('writes only fixed text and the realm, whatever the error carries', () => {
    const fixed = new Set([
      'Bearer realm="shop"',
      ...['has expired', 'has been revoked', 'is invalid'].map(
        (d) => `Bearer realm="shop", error="invalid_token", error_description="the token ${d}"`,
      ),
    ]);
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 100, max: 599 }), hostileString, (code, status, message) => {
        const value = challenge(new RevocastError(code as ErrorCode, status, message));
        expect(fixed.has(value)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses, when built, a realm that cannot be written as it is in a quoted header parameter', () => {
    fc.assert(
      fc.property(hostileString, (realm) => {
        let built: ReturnType<typeof bearerChallenge>;
        try {
          built = bearerChallenge(realm);
        } catch (err) {
          expect(err).toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
          return;
        }
        for (const error of [undefined, { code: 'ERR_TOKEN_REVOKED', status: 401 }]) {
          const value = built(error);
          expect(SAFE_HEADER.test(value)).toBe(true);
          expect(value.startsWith(`Bearer realm="${realm}"`)).toBe(true);
          expect(value.split('"').length).toBe(error === undefined ? 3 : 7);
        }
      }),
      { numRuns: 500 },
    );
    for (const realm of ['a"b', 'a\\b', 'a\r\nb', '€', '\u0000']) expect(() => bearerChallenge(realm)).toThrow(/realm/);
  });
});

describe('the error-to-response map', () => {
  const challenge = bearerChallenge();

  it('gives every verifier error its status, the challenge, and Retry-After on a 503', () => {
    const cases: Array<[RevocastError, number, Record<string, string>]> = [
      [new RevocastError('ERR_TOKEN_MISSING', 401, 'm'), 401, { 'WWW-Authenticate': 'Bearer realm="api"' }],
      [
        new RevocastError('ERR_TOKEN_INVALID', 401, 'm'),
        401,
        { 'WWW-Authenticate': challenge({ code: 'ERR_TOKEN_INVALID', status: 401 }) },
      ],
      [
        new RevocastError('ERR_TOKEN_EXPIRED', 401, 'm'),
        401,
        { 'WWW-Authenticate': challenge({ code: 'ERR_TOKEN_EXPIRED', status: 401 }) },
      ],
      [new TokenRevokedError('session'), 401, { 'WWW-Authenticate': challenge({ code: 'ERR_TOKEN_REVOKED', status: 401 }) }],
      [new RevocastError('ERR_LIST_STALE', 503, 'm'), 503, { 'WWW-Authenticate': 'Bearer realm="api"', 'Retry-After': '1' }],
      [new RevocastError('ERR_KEYS_UNAVAILABLE', 503, 'm'), 503, { 'WWW-Authenticate': 'Bearer realm="api"', 'Retry-After': '1' }],
    ];
    for (const [error, status, headers] of cases) {
      const refusal = toAuthError(error, challenge);
      expect(refusal, error.code).toBe(error);
      expect(refusal.status).toBe(status);
      expect(refusal.headers).toEqual(headers);
    }
  });

  it('turns anything that is not a RevocastError into a 401 ERR_TOKEN_INVALID, never a 500', () => {
    for (const thrown of [new TypeError('x'), 'text', undefined, { status: 500 }]) {
      const refusal = toAuthError(thrown, challenge);
      expect(refusal).toMatchObject({ code: 'ERR_TOKEN_INVALID', status: 401, cause: thrown });
      expect(refusal.headers['WWW-Authenticate']).toContain('error="invalid_token"');
    }
  });

  it('puts the revocation reason in the body of a revoked token only', () => {
    expect(authErrorBody(new TokenRevokedError('subject'))).toEqual({
      error: 'ERR_TOKEN_REVOKED',
      message: 'all tokens of this subject issued before the cutoff have been revoked',
      reason: 'subject',
    });
    expect(authErrorBody(new RevocastError('ERR_LIST_STALE', 503, 'stale'))).toEqual({ error: 'ERR_LIST_STALE', message: 'stale' });
  });
});

describe('createAuthenticator', () => {
  const verifier = { verify: async (token: string) => ({ jti: token, exp: 1 }) } as unknown as Verifier;

  it('checks its options when it is built', () => {
    expect(() => createAuthenticator({} as Verifier)).toThrow(/verifier/);
    expect(() => createAuthenticator(verifier, { cookie: 'a b' })).toThrow(/cookie/);
    expect(() => createAuthenticator(verifier, { realm: 'a"' })).toThrow(/realm/);
    expect(() => createAuthenticator(verifier, { credentialsRequired: 'no' as unknown as boolean })).toThrow(/credentialsRequired/);
  });

  it('reports a request without a token as missing, or lets it pass when credentials are optional', async () => {
    await expect(createAuthenticator(verifier)({})).rejects.toMatchObject({
      code: 'ERR_TOKEN_MISSING',
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="api"' },
    });
    await expect(createAuthenticator(verifier, { credentialsRequired: false })({})).resolves.toBeUndefined();
    await expect(createAuthenticator(verifier, { cookie: 'at' })({ cookie: 'at=t.t.t' })).resolves.toEqual({ jti: 't.t.t', exp: 1 });
  });

  it('refuses with a 401 when the verifier fails with something that is not a RevocastError', async () => {
    const broken = { verify: async () => Promise.reject(new RangeError('deep')) } as unknown as Verifier;
    await expect(createAuthenticator(broken)({ authorization: 'Bearer a.b.c' })).rejects.toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      status: 401,
    });
  });
});
