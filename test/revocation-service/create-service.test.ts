import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  MemoryFleet,
  MemoryStore,
  RedisFleet,
  RedisStore,
  createLogger,
  createService,
  type RevocationStore,
  type Service,
} from '@revocast/revocation-service';
import type { ChangeContext, RevokeResult } from '../../revocation-service/src/store/revocation-store.js';
import type { RevocationPlan } from '../../revocation-service/src/model/revocation.js';
import { ADMIN_SECRET, MAX_TOKEN_TTL, serviceConfig, uniquePrefix, waitFor } from '../support/fixtures.js';
import { startRedisServer, type RedisHandle } from '../support/redis-server.js';

const ADMIN_KEYS = [{ name: 'tests', secret: ADMIN_SECRET }];
const admin = { authorization: `Bearer ${ADMIN_SECRET}` };
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/**
 * The service is assembled in one place, `createService`, for its process,
 * the example app and the tests. These tests hold what that place promises:
 * every connection it opens it closes, in the right order, and in memory it
 * opens none.
 */
describe('createService', () => {
  let redis: RedisHandle;
  let monitor: Redis;

  /** The names of the clients connected to this test's Redis, the monitor's own connection left out. */
  async function clients(): Promise<string[]> {
    const list = (await monitor.call('CLIENT', 'LIST')) as string;
    const own = String(await monitor.client('ID'));
    return list
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith(`id=${own} `))
      .map((line) => /\bname=(\S*)/.exec(line)?.[1] ?? '');
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    monitor = new Redis(redis.url);
  }, 30_000);
  afterAll(async () => {
    monitor.disconnect();
    await redis.stop();
  });

  it('builds the service on Redis from the configuration alone, and close releases every connection it opened', async () => {
    expect(await clients()).toEqual([]);
    const service = createService(serviceConfig({ redisUrl: redis.url, keyPrefix: uniquePrefix(), adminKeys: ADMIN_KEYS }), {
      logger: createLogger('silent'),
    });
    expect(service.store).toBeInstanceOf(RedisStore);
    expect(service.fleet).toBeInstanceOf(RedisFleet);
    await Promise.all([service.store.ready(), service.adminState.ready()]);
    const { url } = await service.listen(0, '127.0.0.1');

    // The change stream opens the fleet's subscriber: the one connection opened on first use.
    const stream = await fetch(`${url}/v1/changes/stream`, { headers: admin });
    expect(stream.status).toBe(200);
    const events = (stream.body as ReadableStream<Uint8Array>).getReader();
    await events.read();
    expect(
      (
        await fetch(`${url}/v1/revocations`, {
          method: 'POST',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'token', jti: 'wired-once', exp: inAnHour() }),
        })
      ).status,
    ).toBe(201);
    await waitFor(async () => (await clients()).includes('revocast-service-fleet-sub'), 10_000, 20);
    // The store, the admin state (both the service's command connections), the fleet and its subscriber.
    expect((await clients()).sort()).toEqual([
      'revocast-service',
      'revocast-service',
      'revocast-service-fleet',
      'revocast-service-fleet-sub',
    ]);

    // A generous grace: the stream must end by the closing signal, not by being cut when the grace runs out.
    const closed = service.close({ graceMs: 600_000 });
    expect(service.close()).toBe(closed);
    let done = false;
    while (!done) ({ done } = await events.read());
    await closed;
    await waitFor(async () => (await clients()).length === 0, 10_000, 20);
    expect(await clients()).toEqual([]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('runs in this process on a MemoryStore, with its fleet and admin state beside it, and opens no Redis connection', async () => {
    const store = new MemoryStore({ maxTokenTtlMs: MAX_TOKEN_TTL * 1000, retentionGraceMs: 60_000 });
    // The configuration names this test's Redis: in memory, nothing may connect to it.
    const service = createService(serviceConfig({ redisUrl: redis.url, adminKeys: ADMIN_KEYS }), { store, logger: createLogger('silent') });
    expect(service.fleet).toBeInstanceOf(MemoryFleet);
    const { url } = await service.listen(0, '127.0.0.1');
    const revoked = await fetch(`${url}/v1/revocations?wait=all&timeout=50ms`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'subject', sub: 'in-memory' }),
    });
    expect(revoked.status).toBe(201);
    expect((await (await fetch(`${url}/v1/verifiers`, { headers: admin })).json()) as { verifiers: unknown[] }).toMatchObject({
      verifiers: [],
    });
    expect(await store.get('subject', 'in-memory')).toMatchObject({ id: 'in-memory' });
    expect(await clients()).toEqual([]);
    await service.close();
    expect(await clients()).toEqual([]);
  });

  it('closes in order: stops accepting, lets the request in flight finish, then closes the store', async () => {
    const order: string[] = [];
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    /** A store whose next revoke waits at a gate, and which says when it is closed. */
    class GatedStore extends MemoryStore {
      override async revoke(plan: RevocationPlan, context: ChangeContext): Promise<RevokeResult> {
        entered();
        await gate;
        return super.revoke(plan, context);
      }
      override async close(): Promise<void> {
        order.push('store closed');
        await super.close();
      }
    }
    const store: RevocationStore = new GatedStore({ maxTokenTtlMs: MAX_TOKEN_TTL * 1000, retentionGraceMs: 60_000 });
    const service: Service = createService(serviceConfig({ adminKeys: ADMIN_KEYS }), { store, logger: createLogger('silent') });
    const { url } = await service.listen(0, '127.0.0.1');

    const answer = fetch(`${url}/v1/revocations`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'token', jti: 'in-flight', exp: inAnHour() }),
    }).then(async (res) => {
      order.push(`answered ${res.status}`);
      return res.json();
    });
    await inFlight;
    const closed = service.close({ graceMs: 600_000 }).then(() => order.push('closed'));
    // Closing has begun: new connections are refused while the request in flight is still held.
    await waitFor(
      async () =>
        fetch(`${url}/healthz`).then(
          () => false,
          () => true,
        ),
      10_000,
      20,
    );
    expect(order).toEqual([]);
    release();
    expect(await answer).toMatchObject({ type: 'token', jti: 'in-flight' });
    await closed;
    expect(order).toEqual(['answered 201', 'store closed', 'closed']);
  });

  it('refuses to start with token keys it cannot use, naming the variable', async () => {
    const config = { ...serviceConfig({ adminKeys: ADMIN_KEYS }), tokenKeys: { algorithms: ['RS256'], publicKey: 'not a key' } };
    const service = createService(config, {
      store: new MemoryStore({ maxTokenTtlMs: MAX_TOKEN_TTL * 1000, retentionGraceMs: 60_000 }),
      logger: createLogger('silent'),
    });
    const refused = await service.listen(0, '127.0.0.1').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).variable).toBe('REVOCAST_JWT_PUBLIC_KEY');
    await service.close();
  });
});
