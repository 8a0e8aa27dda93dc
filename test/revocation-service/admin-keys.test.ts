import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseAdminKeys, parseTokenKeys } from '@revocast/revocation-service';

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
    expect(parseAdminKeys('ops:0123456789abcdef')).toEqual([{ name: 'ops', secret: '0123456789abcdef' }]);
  });

  it('reads scopes and a rate after the secret', () => {
    expect(parseAdminKeys('audit:0123456789abcdef:read, bot:fedcba9876543210:revoke+read:60/m, all:aaaaaaaaaaaaaaaa:*:10/s')).toEqual([
      { name: 'audit', secret: '0123456789abcdef', scopes: ['read'] },
      { name: 'bot', secret: 'fedcba9876543210', scopes: ['revoke', 'read'], rateLimit: { requests: 60, perMs: 60_000 } },
      { name: 'all', secret: 'aaaaaaaaaaaaaaaa', rateLimit: { requests: 10, perMs: 1000 } },
    ]);
  });

  it('keeps colons inside an old secret when what follows is not a scope list', () => {
    expect(parseAdminKeys('ops:abc:DEF:0123456789')).toEqual([{ name: 'ops', secret: 'abc:DEF:0123456789' }]);
  });

  it('reads the JSON form', () => {
    const keys = parseAdminKeys(JSON.stringify([{ name: 'ro', secret: 'x:y:z-0123456789abcdef', scopes: ['read'], rateLimit: '5000/h' }]));
    expect(keys).toEqual([{ name: 'ro', secret: 'x:y:z-0123456789abcdef', scopes: ['read'], rateLimit: { requests: 5000, perMs: 3_600_000 } }]);
  });

  it('gives keys without a rate the REVOCAST_ADMIN_RATE_LIMIT default', () => {
    const config = loadConfig({ REVOCAST_ADMIN_KEYS: 'a:0123456789abcdef,b:fedcba9876543210:read:1/s', REVOCAST_ADMIN_RATE_LIMIT: '100/m' });
    expect(config.adminKeys.map((k) => k.rateLimit)).toEqual([{ requests: 100, perMs: 60_000 }, { requests: 1, perMs: 1000 }]);
  });

  it.each([
    ['an unknown scope', 'ops:0123456789abcdef:raed', /unknown scope "raed"/],
    ['a bad rate', 'ops:0123456789abcdef:read:0/m', /rate limit/],
    ['a reused secret', 'a:0123456789abcdef,b:0123456789abcdef', /reuses the secret/],
    ['broken JSON', '[{"name":', /not valid JSON/],
    ['an unknown JSON field', '[{"name":"a","secret":"0123456789abcdef","admin":true}]', /unknown field "admin"/],
    ['empty JSON scopes', '[{"name":"a","secret":"0123456789abcdef","scopes":[]}]', /non-empty array/],
  ])('refuses %s with a ConfigError naming REVOCAST_ADMIN_KEYS', (_what, value, message) => {
    const error = configError(() => parseAdminKeys(value));
    expect(error.variable).toBe('REVOCAST_ADMIN_KEYS');
    expect(error.message).toMatch(message);
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
    expect(parseTokenKeys({ REVOCAST_JWT_SECRET: secret, REVOCAST_JWT_ALGORITHMS: 'HS256', REVOCAST_JWT_ISSUER: 'https://id.example', REVOCAST_JWT_AUDIENCE: 'api,web' })).toEqual({
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
