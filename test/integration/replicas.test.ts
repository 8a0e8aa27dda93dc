import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redisKeys } from '@revocast/verifier-sdk/protocol';
import { createLogger, createService } from '@revocast/revocation-service';
import { serviceConfig, uniquePrefix } from '../support/fixtures.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.js';

/**
 * Two replicas of the service, each with its own Redis connections and HTTP
 * server, behind one round-robin address (no sticky sessions): they act as
 * one service. A key's rate limit and an address's budget of failed
 * authentications are spent once across both, and a console session made
 * through one works through the other until signing out through either.
 */

const redisUrl = inject('redisUrl');
const OPS = 'ops-secret-for-the-replica-tests-0123456789';
const LIMITED = 'limited-secret-for-the-replica-tests-012345';
const WRONG = (i: number) => `wrong-key-${i}-for-the-replica-tests-0123456`;
/** Long periods, so no budget comes back while a test runs, however slow the machine. */
const HOUR = 3_600_000;

interface Replica {
  readonly url: string;
  close(): Promise<void>;
}

/** A replica as the service's process builds one: store, fleet and admin state on the shared Redis and prefix. */
async function startReplica(keyPrefix: string): Promise<Replica> {
  const config = serviceConfig({
    redisUrl,
    keyPrefix,
    adminKeys: [
      { name: 'ops', secret: OPS },
      { name: 'limited', secret: LIMITED, rateLimit: { requests: 6, perMs: HOUR } },
    ],
    authFailureLimit: { requests: 4, perMs: HOUR },
  });
  const service = createService(config, { logger: createLogger('silent') });
  await Promise.all([service.store.ready(), service.adminState.ready()]);
  const { url } = await service.listen(0, '127.0.0.1');
  return { url, close: () => service.close({ graceMs: 0 }) };
}

async function statusOf(url: string, secret: string): Promise<number> {
  const res = await fetch(`${url}/v1/revocations`, { headers: { authorization: `Bearer ${secret}` } });
  await res.body?.cancel();
  return res.status;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  redirect: 'manual' as const,
  body: new URLSearchParams(fields),
});

describe('replicas behind one address agree', () => {
  const keyPrefix = uniquePrefix();
  let replicas: Replica[];
  let proxy: RoundRobinProxy;
  let redis: Redis;

  beforeAll(async () => {
    replicas = [await startReplica(keyPrefix), await startReplica(keyPrefix)];
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all(replicas.map((r) => r.close()));
    await redis.quit();
  });

  it('spends one rate limit for a key across both replicas: past it every request is 429, as with one', async () => {
    const before = [...proxy.hits];
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push(await statusOf(proxy.url, LIMITED));
    // Each replica got half: with per-process buckets all twelve would pass.
    expect(proxy.hits.map((hits, i) => hits - (before[i] ?? 0))).toEqual([6, 6]);
    expect(statuses).toEqual([...Array(6).fill(200), ...Array(6).fill(429)]);
    // Straight to either replica, the key is still over its limit; another key is not.
    for (const replica of replicas) expect(await statusOf(replica.url, LIMITED)).toBe(429);
    expect(await statusOf(proxy.url, OPS)).toBe(200);
  });

  it('counts failed authentications from one address once across both replicas', async () => {
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(await statusOf(proxy.url, WRONG(i)));
    expect(statuses).toEqual([...Array(4).fill(401), ...Array(4).fill(429)]);
    for (const [i, replica] of replicas.entries()) expect(await statusOf(replica.url, WRONG(100 + i))).toBe(429);
    // A valid key from the same address still passes.
    expect(await statusOf(proxy.url, OPS)).toBe(200);
  });

  it('keeps a console session made through one replica working through the other, and signing out through one ends it on both', async () => {
    const [a, b] = replicas as [Replica, Replica];
    // Sign in through the shared address: the form comes from one replica, the POST goes to the other.
    const login = await fetch(`${proxy.url}/admin/login`);
    const loginCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] as string;
    const signedIn = await fetch(`${proxy.url}/admin/login`, {
      ...form({ _csrf: loginCsrf, key: OPS }),
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(signedIn.status).toBe(303);
    const cookie = /revocast_console=[^;]+/.exec(signedIn.headers.get('set-cookie') ?? '')?.[0] as string;
    const sessionId = cookie.slice('revocast_console='.length);
    const headers = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
    const page = async (url: string, path = '/admin') => {
      const res = await fetch(url + path, { headers: { cookie }, redirect: 'manual' });
      return { status: res.status, location: res.headers.get('location'), html: await res.text() };
    };

    const onA = await page(a.url);
    const onB = await page(b.url);
    for (const view of [onA, onB]) {
      expect(view.status).toBe(200);
      expect(view.html).toContain('signed in as <strong>ops</strong>');
    }
    // The CSRF token one replica shows is accepted by the other.
    const csrf = /name="_csrf" value="([^"]+)"/.exec(onA.html)?.[1] as string;
    const revoked = await fetch(`${b.url}/admin/revoke`, {
      ...form({ _csrf: csrf, type: 'session', sid: 'replica-sess', sub: 'alice' }),
      headers,
    });
    expect(revoked.status).toBe(303);
    // The message about it is shown once, by whichever replica renders the next page.
    expect((await page(a.url, '/admin?sub=alice')).html).toContain('Revoked session replica-sess');
    expect((await page(b.url, '/admin?sub=alice')).html).not.toContain('Revoked session replica-sess');

    // In Redis: one hash under the SHA-256 of the id, with the key's name and scopes, no secret, expiring on its own.
    const keys = redisKeys(keyPrefix);
    const sessionKey = keys.consoleSession(createHash('sha256').update(sessionId).digest('hex'));
    const stored = await redis.hgetall(sessionKey);
    expect(Object.keys(stored).sort()).toEqual(['actor', 'expires', 'scopes']);
    expect(stored.actor).toBe('ops');
    expect(stored.scopes?.split(',').sort()).toEqual(['read', 'reinstate', 'revoke']);
    const everything = JSON.stringify(stored) + sessionKey;
    for (const secret of [OPS, sessionId, csrf]) expect(everything).not.toContain(secret);
    const ttl = await redis.pttl(sessionKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(8 * HOUR);

    const signedOut = await fetch(`${a.url}/admin/logout`, { ...form({ _csrf: csrf }), headers });
    expect(signedOut.status).toBe(303);
    for (const replica of replicas) {
      const view = await page(replica.url);
      expect(view.status).toBe(303);
      expect(view.location).toMatch(/login$/);
    }
    expect(await redis.exists(sessionKey)).toBe(0);
  });
});
