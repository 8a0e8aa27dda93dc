import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createService, openRedisAdminState, type Service } from '@revocast/revocation-service';
import { captureLogs, memoryStore, serviceConfig, uniquePrefix, waitFor } from '../support/fixtures.js';
import { startRedisServer, type RedisHandle } from '../support/redis-server.js';

/**
 * When the Redis holding the shared admin state stops answering, no admin
 * call gets a 500 and no gate opens: rate limits and the failed-
 * authentication throttle fall back to the replica's own buckets (still
 * enforced, counted and logged once), and the console fails closed with 503
 * until Redis answers again. The revocation store is in memory here, so what
 * is tested is the admin state alone.
 */

const OPS = 'ops-secret-for-the-outage-tests-0123456789';
const LIMITED = 'limited-secret-for-the-outage-tests-012345';
const WRONG = (i: number) => `wrong-key-${i}-for-the-outage-tests-0123456`;
const HOUR = 3_600_000;

async function statusOf(url: string, secret: string): Promise<number> {
  const res = await fetch(`${url}/v1/revocations`, { headers: { authorization: `Bearer ${secret}` } });
  await res.body?.cancel();
  return res.status;
}

async function failures(url: string, feature: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^revocast_admin_state_failures_total\\{feature="${feature}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}

async function signIn(url: string): Promise<{ status: number; cookie: string | undefined }> {
  const login = await fetch(`${url}/admin/login`);
  const loginCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] as string;
  const res = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, key: OPS }),
  });
  await res.body?.cancel();
  return { status: res.status, cookie: /revocast_console=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] };
}

describe('the shared admin state when its Redis is down', () => {
  let redis: RedisHandle;
  let service: Service;
  let url: string;
  const logs = captureLogs();

  beforeAll(async () => {
    redis = await startRedisServer();
    const config = serviceConfig({
      adminKeys: [
        { name: 'ops', secret: OPS },
        { name: 'limited', secret: LIMITED, rateLimit: { requests: 3, perMs: HOUR } },
      ],
      authFailureLimit: { requests: 2, perMs: HOUR },
    });
    // Revocations in memory, the shared admin state alone on the Redis this test stops.
    service = createService(config, {
      store: memoryStore(),
      adminState: openRedisAdminState({ redis: redis.url, keyPrefix: uniquePrefix() }),
      logger: createLogger('debug', logs),
    });
    await service.adminState.ready();
    ({ url } = await service.listen(0, '127.0.0.1'));
  }, 30_000);
  afterAll(async () => {
    await service.close({ graceMs: 0 });
    await redis.stop();
  });

  it('keeps enforcing limits with the replica’s own buckets, answers the console 503, and recovers when Redis is back', async () => {
    const session = await signIn(url);
    expect(session.status).toBe(303);
    const cookie = session.cookie as string;
    expect((await fetch(`${url}/admin`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);

    await redis.kill();

    // Rate limit: neither 500 nor open; the replica's own bucket still refuses past the limit.
    const limited = [];
    for (let i = 0; i < 5; i++) limited.push(await statusOf(url, LIMITED));
    expect(limited).toEqual([200, 200, 200, 429, 429]);
    expect(await failures(url, 'rate_limit')).toBe(5);

    // Throttle: wrong keys are still throttled; a valid key still passes.
    const wrong = [];
    for (let i = 0; i < 4; i++) wrong.push(await statusOf(url, WRONG(i)));
    expect(wrong).toEqual([401, 401, 429, 429]);
    expect(await failures(url, 'auth_throttle')).toBe(4);
    expect(await statusOf(url, OPS)).toBe(200);

    // Console: closed with a clear 503, never signed in without the store, never a 500.
    const page = await fetch(`${url}/admin`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('1');
    expect(await page.text()).toContain('console sessions are unavailable');
    expect((await signIn(url)).status).toBe(503);
    expect(await failures(url, 'console_sessions')).toBeGreaterThanOrEqual(2);

    // One log line per feature for the whole outage, not one per request.
    const warned = logs.lines.filter((line) => String(line.msg).startsWith('shared admin state unavailable'));
    expect(warned.map((line) => line.feature).sort()).toEqual(['auth_throttle', 'console_sessions', 'rate_limit']);

    // Back (empty: the session did not survive): sign in again, and the console works.
    await redis.start();
    await waitFor(async () => (await fetch(`${url}/admin`, { headers: { cookie }, redirect: 'manual' })).status === 303, 15_000, 100);
    const again = await signIn(url);
    expect(again.status).toBe(303);
    expect((await fetch(`${url}/admin`, { headers: { cookie: again.cookie as string }, redirect: 'manual' })).status).toBe(200);
    expect(logs.lines.some((line) => line.msg === 'shared admin state available again' && line.feature === 'console_sessions')).toBe(true);
  }, 60_000);

  it('treats a Redis that hangs like one that is down: the command times out, then the same fallbacks answer', async () => {
    const { cookie } = await signIn(url);
    const before = await failures(url, 'rate_limit');
    redis.pause();
    try {
      // The replica's own bucket for this key was emptied during the outage above: still refused, not waved through.
      expect(await statusOf(url, LIMITED)).toBe(429);
      expect(await failures(url, 'rate_limit')).toBe(before + 1);
      expect((await fetch(`${url}/admin`, { headers: { cookie: cookie as string }, redirect: 'manual' })).status).toBe(503);
    } finally {
      redis.resume();
    }
    await waitFor(
      async () => (await fetch(`${url}/admin`, { headers: { cookie: cookie as string }, redirect: 'manual' })).status === 200,
      15_000,
      100,
    );
  }, 60_000);
});
