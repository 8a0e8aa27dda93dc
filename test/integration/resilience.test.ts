import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authErrorHandler, requireAuth, type Verifier } from '@revocast/verifier-sdk';
import { outcome, signToken, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';
import { startRedisServer, type RedisHandle } from '../support/redis-server.js';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Each scenario breaks Redis, so each gets a redis-server of its own. */
describe('sync survives what Redis does', () => {
  let redisServer: RedisHandle;
  let service: ServiceHandle;
  let keyPrefix: string;
  const verifiers: Verifier[] = [];

  beforeAll(async () => {
    // DEBUG SLEEP needs the debug command, which Redis 7 disables by default.
    redisServer = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
  });
  afterAll(async () => {
    await redisServer.stop();
  });
  afterEach(async () => {
    await Promise.all(verifiers.splice(0).map((v) => v.close()));
    await service.close();
    if (!(await isUp(redisServer.url))) await redisServer.start();
  });

  async function setUp(options: Partial<Parameters<typeof testVerifier>[0]> = {}): Promise<Verifier> {
    keyPrefix = uniquePrefix();
    service = await startService({ redisUrl: redisServer.url, keyPrefix });
    const verifier = testVerifier({ redis: redisServer.url, keyPrefix, commandTimeout: 0.3, ...options } as never);
    verifiers.push(verifier);
    await verifier.ready();
    return verifier;
  }

  const revoke = (jti: string) => service.admin('/v1/revocations', { body: { type: 'token', jti, exp: inAnHour() } });

  it('applies all 200 revocations made while its subscriber connection was killed', async () => {
    const registry = new Registry();
    const verifier = await setUp({ registry });
    const admin = new Redis(redisServer.url);
    try {
      const jtis = Array.from({ length: 200 }, (_, i) => `killed-${i}`);
      for (const [i, jti] of jtis.entries()) {
        if (i % 50 === 0) await admin.client('KILL', 'TYPE', 'pubsub');
        expect((await revoke(jti)).status).toBe(201);
      }
      await waitFor(() => jtis.every((jti) => verifier.isRevoked({ jti })), 5000);
      for (const jti of jtis.slice(0, 5)) expect(await outcome(verifier, await signToken({ jti }))).toBe('ERR_TOKEN_REVOKED');
      const text = await registry.metrics();
      // Messages sent while the subscription was down came from the stream, not the channel.
      expect(Number(/revocast_verifier_catchups_total (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  });

  it('detects the new epoch after FLUSHALL, reloads, and enforces what is revoked afterwards', async () => {
    const registry = new Registry();
    const verifier = await setUp({ registry });
    await revoke('before-flush');
    await waitFor(() => verifier.isRevoked({ jti: 'before-flush' }));
    const epochBefore = verifier.status.epoch;

    const admin = new Redis(redisServer.url);
    await admin.flushall();
    admin.disconnect();
    expect((await revoke('after-flush')).status).toBe(201);

    await waitFor(() => verifier.isRevoked({ jti: 'after-flush' }), 3000);
    expect(verifier.status.epoch).not.toBe(epochBefore);
    expect(await outcome(verifier, await signToken({ jti: 'after-flush' }))).toBe('ERR_TOKEN_REVOKED');
    expect(await registry.metrics()).toMatch(/revocast_verifier_reloads_total\{reason="epoch-changed"\} [1-9]/);
    // The verifier now mirrors what Redis holds; what FLUSHALL erased is gone from the record itself.
    // With PostgreSQL as the record it comes back: see durable-record.test.ts.
    expect(verifier.status.entries.token).toBe(1);
  });

  it('reloads after Redis restarts with no data', async () => {
    const verifier = await setUp();
    await revoke('before-restart');
    await waitFor(() => verifier.isRevoked({ jti: 'before-restart' }));
    await redisServer.kill();
    await redisServer.start();
    await service.store.ready();
    await waitFor(async () => (await revoke('after-restart')).status === 201, 5000, 50);
    await waitFor(() => verifier.isRevoked({ jti: 'after-restart' }), 5000);
    expect(verifier.status.offset).toBe(1);
  });

  it('answers 503 once Redis has been down past maxStaleness, and recovers by itself', async () => {
    const verifier = await setUp({ maxStaleness: 1 });
    const app = express();
    app.get('/private', requireAuth(verifier), (req, res) => {
      res.json({ sub: req.auth?.sub });
    });
    app.use(authErrorHandler());
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/private`;
    const token = await signToken();
    const call = () => fetch(url, { headers: { authorization: `Bearer ${token}` } });
    try {
      expect((await call()).status).toBe(200);
      await redisServer.kill();
      await new Promise((resolve) => setTimeout(resolve, 1300));
      const stale = await call();
      expect(stale.status).toBe(503);
      expect(await stale.json()).toMatchObject({ error: 'ERR_LIST_STALE' });
      expect(verifier.status.state).toBe('stale');

      await redisServer.start();
      await waitFor(async () => (await call()).status === 200, 5000, 50);
      expect(verifier.status.state).toBe('ready');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('fails open when configured: accepts while stale but still rejects what it knows', async () => {
    const verifier = await setUp({ maxStaleness: 1, failOpen: true });
    await revoke('known');
    await waitFor(() => verifier.isRevoked({ jti: 'known' }));
    redisServer.pause();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(verifier.status.stale).toBe(true);
    expect(await outcome(verifier, await signToken())).toBe('accepted');
    expect(await outcome(verifier, await signToken({ jti: 'known' }))).toBe('ERR_TOKEN_REVOKED');
    redisServer.resume();
    await waitFor(() => !verifier.status.stale, 5000, 20);
  });

  it.each([
    ['DEBUG SLEEP', (admin: Redis) => void admin.call('DEBUG', 'SLEEP', '2').catch(() => {})],
    ['CLIENT PAUSE', (admin: Redis) => void admin.call('CLIENT', 'PAUSE', '2000', 'ALL')],
  ])('fails closed while the master hangs in %s, and recovers by itself', async (_name, hang) => {
    const verifier = await setUp({ maxStaleness: 1 });
    await revoke('known-before-hang');
    await waitFor(() => verifier.isRevoked({ jti: 'known-before-hang' }));
    const token = await signToken();
    const admin = new Redis(redisServer.url);
    try {
      hang(admin);
      const hungAt = performance.now();
      // The liveness poll times out: once maxStaleness has passed, every check fails closed.
      await waitFor(() => verifier.status.state === 'stale', 3000, 10);
      expect(performance.now() - hungAt).toBeGreaterThan(900);
      expect(await outcome(verifier, token)).toBe('ERR_LIST_STALE');
      expect(await outcome(verifier, await signToken({ jti: 'known-before-hang' }))).toBe('ERR_LIST_STALE');

      await waitFor(async () => (await outcome(verifier, token)) === 'accepted', 6000, 20);
      expect(verifier.status.state).toBe('ready');
      expect(await outcome(verifier, await signToken({ jti: 'known-before-hang' }))).toBe('ERR_TOKEN_REVOKED');
    } finally {
      admin.disconnect();
    }
  });

  it('goes stale while Redis hangs and recovers when it answers again', async () => {
    const verifier = await setUp({ maxStaleness: 1 });
    redisServer.pause();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(await outcome(verifier, await signToken())).toBe('ERR_LIST_STALE');
    redisServer.resume();
    await waitFor(async () => (await outcome(verifier, await signToken())) === 'accepted', 5000, 20);
  });
});

async function isUp(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
