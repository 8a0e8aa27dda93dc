import { describe, expect, it } from 'vitest';
import { RedisUrlError, parseRedisTarget } from '@revocast/verifier-sdk/protocol';
import { testVerifier } from '../../support/fixtures.js';

describe('Redis URLs shared by the service and the verifiers', () => {
  it('keeps a plain redis:// or rediss:// URL for ioredis to read', () => {
    expect(parseRedisTarget('redis://127.0.0.1:6379/2')).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379/2' });
    expect(parseRedisTarget('rediss://u:p@cache:6380')).toEqual({ mode: 'standalone', url: 'rediss://u:p@cache:6380' });
  });

  it('reads Sentinel hosts, the master name, database and credentials', () => {
    expect(parseRedisTarget('redis+sentinel://app:s3cret@10.0.0.1:26380,10.0.0.2,[::1]:26381/revocast/3?sentinelPassword=sp%40ss')).toEqual(
      {
        mode: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26380 },
          { host: '10.0.0.2', port: 26379 },
          { host: '::1', port: 26381 },
        ],
        masterName: 'revocast',
        db: 3,
        tls: false,
        username: 'app',
        password: 's3cret',
        sentinelPassword: 'sp@ss',
        role: 'master',
      },
    );
    expect(parseRedisTarget('rediss+sentinel://:pw@s1/main')).toMatchObject({ tls: true, password: 'pw', db: 0, masterName: 'main' });
  });

  it('reads role=replica on a Sentinel URL: reads and subscriptions go to a replica', () => {
    expect(parseRedisTarget('redis+sentinel://s1,s2/main?role=replica')).toMatchObject({ mode: 'sentinel', role: 'replica' });
    expect(parseRedisTarget('redis+sentinel://s1,s2/main?role=master')).toMatchObject({ role: 'master' });
  });

  it('reads Cluster seed nodes', () => {
    expect(parseRedisTarget('redis+cluster://n1:7000,n2:7001,n3')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: 'n3', port: 6379 },
      ],
      tls: false,
    });
  });

  it.each([
    ['http://cache:6379', /must start with redis:\/\//],
    ['redis+sentinel://s1:26379', /must name the master/],
    ['redis+sentinel://s1:26379/main/x', /database number/],
    ['redis+sentinel://s1:0/main', /invalid host:port/],
    ['redis+sentinel://s1/main?db=2', /unknown parameter "db"/],
    ['redis+cluster://n1:7000/2', /no path or query/],
    ['redis+cluster://n1:7000,,n2', /invalid host:port/],
    ['redis+sentinel://s1/main?role=primary', /unknown role "primary"/],
    ['redis://replica:6379?role=replica', /takes no role: replicas are read through Sentinel/],
    ['redis+cluster://n1:7000?role=replica', /cluster replicas is not supported/],
  ])('refuses %s and says why', (url, message) => {
    expect(() => parseRedisTarget(url)).toThrow(RedisUrlError);
    expect(() => parseRedisTarget(url)).toThrow(message);
  });

  it('makes createVerifier refuse a bad Redis URL when it is built', () => {
    let error: unknown;
    try {
      testVerifier({ redis: 'redis+sentinel://s1:26379' });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    expect((error as Error).message).toMatch(/must name the master/);
  });
});
