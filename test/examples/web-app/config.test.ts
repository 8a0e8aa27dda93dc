import { describe, expect, it } from 'vitest';
import { ConfigError } from '@revocast/revocation-service';
import { loadExampleConfig } from '../../../examples/web-app/src/config.js';

function problem(env: NodeJS.ProcessEnv): { variable: string; message: string } | undefined {
  try {
    loadExampleConfig(env);
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { variable: err.variable, message: err.message };
  }
}

describe('the example app configuration', () => {
  it('defaults to the embedded service, in memory, with 15-minute access tokens', () => {
    const config = loadExampleConfig({});
    expect(config).toMatchObject({
      port: 3000,
      servicePort: 8080,
      redisUrl: undefined,
      remoteService: undefined,
      accessTokenTtl: 900,
      refreshTokenTtl: 86_400,
    });
  });

  it('names the variable at fault', () => {
    expect(problem({ ACCESS_TOKEN_TTL: 'soon' })?.variable).toBe('ACCESS_TOKEN_TTL');
    expect(problem({ PORT: '70000' })?.variable).toBe('PORT');
    expect(problem({ SERVICE_PORT: 'x' })?.variable).toBe('SERVICE_PORT');
    expect(problem({ DEMO_SIGNING_SECRET: 'short' })?.variable).toBe('DEMO_SIGNING_SECRET');
    expect(problem({ APP_KEY_PREFIX: 'revocast' })?.variable).toBe('APP_KEY_PREFIX');
    expect(problem({ REVOCAST_SERVICE_URL: 'http://127.0.0.1:8080' })?.variable).toBe('REDIS_URL');
    expect(problem({ REVOCAST_SERVICE_URL: 'http://127.0.0.1:8080', REDIS_URL: 'redis://127.0.0.1:6379' })?.variable).toBe(
      'REVOCAST_ADMIN_KEY',
    );
  });

  it("refuses refresh tokens that would outlive the service's record of a subject revocation", () => {
    expect(problem({ REFRESH_TOKEN_TTL: '2d' })).toMatchObject({
      variable: 'REFRESH_TOKEN_TTL',
      message: expect.stringContaining('REVOCAST_MAX_TOKEN_TTL'),
    });
    expect(problem({ REFRESH_TOKEN_TTL: '2d', REVOCAST_MAX_TOKEN_TTL: '7d' })).toBeUndefined();
    expect(problem({ ACCESS_TOKEN_TTL: '1h', REFRESH_TOKEN_TTL: '10m' })?.variable).toBe('REFRESH_TOKEN_TTL');
  });
});
