import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@revocast/revocation-service';

describe('service configuration', () => {
  it('has safe defaults', () => {
    expect(loadConfig({})).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      port: 8080,
      host: '127.0.0.1',
      adminKeys: [],
      authFailureLimit: { requests: 10, perMs: 60_000 },
      maxTokenTtl: 86400,
      retentionGrace: 300,
      logLevel: 'info',
      keyPrefix: 'revocast',
      snapshot: { everyMs: 60_000, everyChanges: 10_000 },
    });
  });

  it('reads when the compact snapshot is written, or that it is not', () => {
    expect(loadConfig({ REVOCAST_SNAPSHOT_INTERVAL: '15s', REVOCAST_SNAPSHOT_CHANGES: '500' }).snapshot).toEqual({
      everyMs: 15_000,
      everyChanges: 500,
    });
    expect(loadConfig({ REVOCAST_SNAPSHOT_INTERVAL: 'off' }).snapshot).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://cache:6380/2',
      PORT: '9000',
      HOST: '0.0.0.0',
      REVOCAST_ADMIN_KEYS: 'ops:Vt3qL9xR2mWp8ZkN4bHs7YcJ, ci:Qd6Gf1Ty5Ue0Iw3Oa8Sl2Kxxyz',
      REVOCAST_MAX_TOKEN_TTL: '15m',
      REVOCAST_RETENTION_GRACE: '60',
      LOG_LEVEL: 'debug',
      REVOCAST_KEY_PREFIX: 'acme',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      maxTokenTtl: 900,
      retentionGrace: 60,
      keyPrefix: 'acme',
      logLevel: 'debug',
    });
    expect(config.adminKeys).toEqual([
      { name: 'ops', secret: 'Vt3qL9xR2mWp8ZkN4bHs7YcJ' },
      { name: 'ci', secret: 'Qd6Gf1Ty5Ue0Iw3Oa8Sl2Kxxyz' },
    ]);
  });

  it.each([
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['REDIS_URL', { REDIS_URL: 'not a url' }],
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['REVOCAST_ADMIN_KEYS', { REVOCAST_ADMIN_KEYS: 'no-colon' }],
    ['REVOCAST_ADMIN_KEYS', { REVOCAST_ADMIN_KEYS: 'ops:short' }],
    ['REVOCAST_ADMIN_KEYS', { REVOCAST_ADMIN_KEYS: 'ops:Vt3qL9xR2mWp8ZkN4bHs7YcJ,ops:Vt3qL9xR2mWp8ZkN4bHs7YcJg' }],
    ['REVOCAST_ADMIN_KEYS', { REVOCAST_ADMIN_KEYS: 'bad name:Vt3qL9xR2mWp8ZkN4bHs7YcJ' }],
    ['REVOCAST_MAX_TOKEN_TTL', { REVOCAST_MAX_TOKEN_TTL: '1 week' }],
    ['REVOCAST_MAX_TOKEN_TTL', { REVOCAST_MAX_TOKEN_TTL: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['REVOCAST_KEY_PREFIX', { REVOCAST_KEY_PREFIX: 'a{b}' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db/x' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['REVOCAST_DATABASE_SCHEMA', { DATABASE_URL: 'postgres://db/x', REVOCAST_DATABASE_SCHEMA: 'Drop Table' }],
    ['REVOCAST_OUTBOX_INTERVAL', { DATABASE_URL: 'postgres://db/x', REVOCAST_OUTBOX_INTERVAL: 'often' }],
    ['REVOCAST_OUTBOX_INTERVAL', { DATABASE_URL: 'postgres://db/x', REVOCAST_OUTBOX_INTERVAL: '5ms' }],
    ['REVOCAST_RECONCILE_INTERVAL', { DATABASE_URL: 'postgres://db/x', REVOCAST_RECONCILE_INTERVAL: '1 hour' }],
    ['REDIS_URL', { REDIS_URL: 'redis+sentinel://s1:26379' }],
    ['REDIS_URL', { REDIS_URL: 'redis+sentinel://s1:99999/main' }],
    ['REDIS_URL', { REDIS_URL: 'redis+cluster://n1:7000/0' }],
    ['REDIS_URL', { REDIS_URL: 'redis+sentinel://s1/main?password=x' }],
    ['REDIS_URL', { REDIS_URL: 'redis+sentinel://s1/main?role=replica' }],
    ['REVOCAST_SNAPSHOT_INTERVAL', { REVOCAST_SNAPSHOT_INTERVAL: 'hourly' }],
    ['REVOCAST_SNAPSHOT_CHANGES', { REVOCAST_SNAPSHOT_CHANGES: '0' }],
    ['REVOCAST_SNAPSHOT_CHANGES', { REVOCAST_SNAPSHOT_CHANGES: '1e4' }],
  ])('names %s when it is wrong', (variable, env) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message.startsWith(variable)).toBe(true);
  });

  it('never puts a secret in an error message', () => {
    expect(() => loadConfig({ REVOCAST_ADMIN_KEYS: 'ops:tooshort' })).toThrow(/ops/);
    expect(() => loadConfig({ REVOCAST_ADMIN_KEYS: 'ops:tooshort' })).not.toThrow(/tooshort/);
  });

  it('makes the service exit at start with a message naming the variable', () => {
    const run = spawnSync(process.execPath, ['--conditions=revocast-source', '--import', 'tsx', 'revocation-service/src/main.ts'], {
      env: { ...process.env, PORT: 'eighty' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('revocast: invalid configuration: PORT must be a port number');
  });
});

describe('durable record and Redis topology configuration', () => {
  it('has no durable record unless DATABASE_URL is set', () => {
    expect(loadConfig({}).database).toBeUndefined();
  });

  it('reads the durable record settings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://revocast:pw@db:5432/revocast',
      REVOCAST_DATABASE_SCHEMA: 'acme_revocations',
      REVOCAST_OUTBOX_INTERVAL: '250ms',
      REVOCAST_RECONCILE_INTERVAL: '5m',
    });
    expect(config.database).toEqual({
      url: 'postgres://revocast:pw@db:5432/revocast',
      schema: 'acme_revocations',
      outboxIntervalMs: 250,
      reconcileIntervalMs: 300_000,
    });
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/revocast' }).database).toMatchObject({
      schema: 'revocast',
      outboxIntervalMs: 1000,
      reconcileIntervalMs: 60_000,
    });
  });

  it('accepts Sentinel and Cluster URLs for REDIS_URL', () => {
    for (const url of [
      'redis+sentinel://s1:26379,s2:26379,s3/revocast',
      'rediss+sentinel://:pw@s1/main/2',
      'redis+cluster://n1:7000,n2:7001',
    ]) {
      expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    }
  });

  it('never repeats a database or Redis password in an error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:hunter2-secret@db/x' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://:hunter2-secret@s1:26379' })).not.toThrow(/hunter2/);
  });
});
