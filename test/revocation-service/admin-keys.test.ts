import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseAdminKeys, parseTokenKeys } from '@revocast/revocation-service';
import { ADMIN_SECRET } from '../support/fixtures.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('no ConfigError thrown');
}

describe('admin key syntax', () => {
  it('keeps name:secret meaning every scope and no limit', () => {
    expect(parseAdminKeys('ops:Vt3qL9xR2mWp8ZkN4bHs7YcJ')).toEqual([{ name: 'ops', secret: 'Vt3qL9xR2mWp8ZkN4bHs7YcJ' }]);
  });

  it('reads scopes and a rate after the secret', () => {
    expect(
      parseAdminKeys(
        'audit:Vt3qL9xR2mWp8ZkN4bHs7YcJ:read, bot:Qd6Gf1Ty5Ue0Iw3Oa8Sl2Kx:revoke+read:60/m, all:Hn5Wc8Zr1Qv4Mx7Tb2Ks9Pj:*:10/s',
      ),
    ).toEqual([
      { name: 'audit', secret: 'Vt3qL9xR2mWp8ZkN4bHs7YcJ', scopes: ['read'] },
      { name: 'bot', secret: 'Qd6Gf1Ty5Ue0Iw3Oa8Sl2Kx', scopes: ['revoke', 'read'], rateLimit: { requests: 60, perMs: 60_000 } },
      { name: 'all', secret: 'Hn5Wc8Zr1Qv4Mx7Tb2Ks9Pj', rateLimit: { requests: 10, perMs: 1000 } },
    ]);
  });

  it('keeps colons inside an old secret when what follows is not a scope list', () => {
    expect(parseAdminKeys('ops:Ab7:DEF:q9Lx2Rm5Tz8Wc4Nh6')).toEqual([{ name: 'ops', secret: 'Ab7:DEF:q9Lx2Rm5Tz8Wc4Nh6' }]);
  });

  it('reads the JSON form', () => {
    const keys = parseAdminKeys(
      JSON.stringify([{ name: 'ro', secret: 'x:y:z-Vt3qL9xR2mWp8ZkN4bHs7YcJ', scopes: ['read'], rateLimit: '5000/h' }]),
    );
    expect(keys).toEqual([
      { name: 'ro', secret: 'x:y:z-Vt3qL9xR2mWp8ZkN4bHs7YcJ', scopes: ['read'], rateLimit: { requests: 5000, perMs: 3_600_000 } },
    ]);
  });

  it('gives keys without a rate the REVOCAST_ADMIN_RATE_LIMIT default', () => {
    const config = loadConfig({
      REVOCAST_ADMIN_KEYS: 'a:Vt3qL9xR2mWp8ZkN4bHs7YcJ,b:Qd6Gf1Ty5Ue0Iw3Oa8Sl2Kx:read:1/s',
      REVOCAST_ADMIN_RATE_LIMIT: '100/m',
    });
    expect(config.adminKeys.map((k) => k.rateLimit)).toEqual([
      { requests: 100, perMs: 60_000 },
      { requests: 1, perMs: 1000 },
    ]);
  });

  it.each([
    ['an unknown scope', 'ops:Vt3qL9xR2mWp8ZkN4bHs7YcJ:raed', /unknown scope "raed"/],
    ['a bad rate', 'ops:Vt3qL9xR2mWp8ZkN4bHs7YcJ:read:0/m', /rate limit/],
    ['a reused secret', 'a:Vt3qL9xR2mWp8ZkN4bHs7YcJ,b:Vt3qL9xR2mWp8ZkN4bHs7YcJ', /reuses the secret/],
    ['broken JSON', '[{"name":', /not valid JSON/],
    ['an unknown JSON field', '[{"name":"a","secret":"Vt3qL9xR2mWp8ZkN4bHs7YcJ","admin":true}]', /unknown field "admin"/],
    ['empty JSON scopes', '[{"name":"a","secret":"Vt3qL9xR2mWp8ZkN4bHs7YcJ","scopes":[]}]', /non-empty array/],
  ])('refuses %s with a ConfigError naming REVOCAST_ADMIN_KEYS', (_what, value, message) => {
    const error = configError(() => parseAdminKeys(value));
    expect(error.variable).toBe('REVOCAST_ADMIN_KEYS');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['one repeated character', 'aaaaaaaaaaaaaaaa'],
    ['a run of digits and letters', '0123456789abcdef'],
    ['the alphabet', 'abcdefghijklmnopqrstuvwxyz0123456789'],
    ['two characters in turn', 'abababababababababababababababab'],
    ['a password', 'Password1234567890!'],
  ])('refuses a guessable secret (%s), saying how to make one and never quoting it', (_what, secret) => {
    const error = configError(() => parseAdminKeys(`ops:${secret}`));
    expect(error.variable).toBe('REVOCAST_ADMIN_KEYS');
    expect(error.message).toMatch(/guessable secret .*bits estimated, 96 needed.*openssl rand -base64 32/);
    expect(error.message).not.toContain(secret);
  });

  it("accepts every key made of 24 or more random bytes, in hex or base64, and the test fixtures' key", () => {
    expect(parseAdminKeys(`tests:${ADMIN_SECRET}`)).toHaveLength(1);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 48 }), fc.constantFrom('hex', 'base64', 'base64url'), (bytes, encoding) => {
        expect(parseAdminKeys(`ops:${Buffer.from(bytes).toString(encoding)}`)).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
  });

  it('the service refuses to start with a weak key: exit code 78 and how to make one', () => {
    const run = spawnSync(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', 'revocation-service/src/main.ts'], {
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', REVOCAST_ADMIN_KEYS: 'ops:aaaaaaaaaaaaaaaa', PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/REVOCAST_ADMIN_KEYS entry 1 \(ops\) has a guessable secret/);
    expect(run.stderr).toMatch(/openssl rand -base64 32/);
    expect(run.stderr).not.toContain('aaaaaaaaaaaaaaaa');
  });

  it('names REVOCAST_ADMIN_RATE_LIMIT when it is wrong', () => {
    expect(configError(() => loadConfig({ REVOCAST_ADMIN_RATE_LIMIT: 'fast' })).variable).toBe('REVOCAST_ADMIN_RATE_LIMIT');
  });
});

describe('token verification keys for the OAuth endpoints', () => {
  const secret = 'a-secret-of-at-least-thirty-two-bytes!';

  it('is off unless a key is configured', () => {
    expect(parseTokenKeys({})).toBeUndefined();
  });

  it('reads a secret with its algorithms, issuer and audience', () => {
    expect(
      parseTokenKeys({
        REVOCAST_JWT_SECRET: secret,
        REVOCAST_JWT_ALGORITHMS: 'HS256',
        REVOCAST_JWT_ISSUER: 'https://id.example',
        REVOCAST_JWT_AUDIENCE: 'api,web',
      }),
    ).toEqual({
      algorithms: ['HS256'],
      secret,
      issuer: ['https://id.example'],
      audience: ['api', 'web'],
    });
  });

  it.each([
    ['REVOCAST_JWT_ALGORITHMS', { REVOCAST_JWT_SECRET: secret }],
    ['REVOCAST_JWT_ALGORITHMS', { REVOCAST_JWT_SECRET: secret, REVOCAST_JWT_ALGORITHMS: 'RS256' }],
    ['REVOCAST_JWT_ALGORITHMS', { REVOCAST_JWT_PUBLIC_KEY: '{}', REVOCAST_JWT_ALGORITHMS: 'HS256' }],
    ['REVOCAST_JWT_ALGORITHMS', { REVOCAST_JWT_SECRET: secret, REVOCAST_JWT_ALGORITHMS: 'none' }],
    ['REVOCAST_JWT_ALGORITHMS', { REVOCAST_JWT_ALGORITHMS: 'HS256' }],
    ['REVOCAST_JWT_SECRET', { REVOCAST_JWT_SECRET: 'short', REVOCAST_JWT_ALGORITHMS: 'HS256' }],
    ['REVOCAST_JWKS_URI', { REVOCAST_JWT_SECRET: secret, REVOCAST_JWKS_URI: 'https://id.example/jwks', REVOCAST_JWT_ALGORITHMS: 'HS256' }],
    ['REVOCAST_JWKS_URI', { REVOCAST_JWKS_URI: 'file:///etc/keys', REVOCAST_JWT_ALGORITHMS: 'RS256' }],
  ])('names %s when the key configuration is wrong', (variable, env) => {
    expect(configError(() => parseTokenKeys(env)).variable).toBe(variable);
  });
});
