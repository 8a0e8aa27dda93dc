import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { RedisAppStore } from '../../../examples/web-app/src/store/redis-app-store.js';
import { outcome, testVerifier, uniquePrefix, waitFor } from '../../support/fixtures.js';
import { FormClient, startExampleApp, type ExampleApp } from '../../support/example-app.js';
import { jwtPayload } from '../../support/device.js';

/** The example app's sign-in rules over plain HTTP, in this process: the edges a browser test would be slow to reach. */
describe('the example app: sessions, cookies and forms', () => {
  const running: ExampleApp[] = [];
  async function start(options: Parameters<typeof startExampleApp>[0] = {}): Promise<ExampleApp> {
    const app = await startExampleApp(options);
    running.push(app);
    return app;
  }
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.close()));
  });

  async function signedIn(
    app: ExampleApp,
    username = 'alice',
    device = 'work laptop',
    headers: Record<string, string> = {},
  ): Promise<FormClient> {
    const client = new FormClient(app.url, headers);
    const res = await client.signIn(username, `${username}-password`, device);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    return client;
  }

  it('sets HttpOnly, SameSite=Lax cookies, Secure only when the request came over HTTPS', async () => {
    const app = await start({ trustProxy: true });
    const plain = await signedIn(app);
    const overHttps = await signedIn(app, 'alice', 'phone', { 'x-forwarded-proto': 'https' });
    const credentialCookies = (client: FormClient) => client.setCookies.filter((line) => /^(access|refresh)_token=/.test(line));
    expect(credentialCookies(plain)).toHaveLength(2);
    for (const line of [...credentialCookies(plain), ...credentialCookies(overHttps)]) {
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; SameSite=Lax/);
    }
    expect(credentialCookies(plain).some((line) => /; Secure/.test(line))).toBe(false);
    expect(credentialCookies(overHttps).every((line) => /; Secure/.test(line))).toBe(true);
  });

  it('refuses a wrong password with 401 and sets no sign-in cookie', async () => {
    const app = await start();
    const client = new FormClient(app.url);
    const res = await client.signIn('alice', 'not-her-password', 'laptop');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Unknown user or wrong password.');
    expect(client.cookies.has('access_token')).toBe(false);
    expect((await client.signIn('mallory', 'whatever', 'laptop')).status).toBe(401);
  });

  it('refuses a form without its CSRF token or posted from another site, and changes nothing', async () => {
    const app = await start();
    const client = await signedIn(app);
    const noToken = await client.request('/sign-out-everywhere', { form: {} });
    expect(noToken.status).toBe(403);
    const forged = await client.request('/sign-out-everywhere', { form: { _csrf: 'A'.repeat(43) } });
    expect(forged.status).toBe(403);
    const crossSite = await client.post('/sign-out-everywhere', {}, { origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    const noSession = new FormClient(app.url);
    expect((await noSession.request('/login', { form: { username: 'alice', password: 'alice-password' } })).status).toBe(403);

    expect((await app.service.admin('/v1/revocations/subject/alice')).status).toBe(404);
    expect((await client.request('/')).status).toBe(200);
  });

  it('keeps refresh tokens as hashes only, in its own Redis key prefix', async () => {
    const redisUrl = inject('redisUrl');
    const keyPrefix = uniquePrefix();
    const app = await start({ store: new RedisAppStore({ redis: redisUrl, keyPrefix }) });
    const client = await signedIn(app);
    const refreshToken = client.cookies.get('refresh_token') as string;
    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`{${keyPrefix}}:*`);
      const dump = [
        ...keys,
        ...(await Promise.all(
          keys.map(async (key) => ((await redis.type(key)) === 'hash' ? JSON.stringify(await redis.hgetall(key)) : '')),
        )),
      ].join('\n');
      expect(dump).not.toContain(refreshToken);
      expect(keys).toContain(`{${keyPrefix}}:refresh:${createHash('sha256').update(refreshToken).digest('base64url')}`);
      expect(dump).toMatch(/"password":"scrypt\$/);
    } finally {
      redis.disconnect();
    }
  });

  it('refreshes an access token long past its expiry (beyond the clock tolerance) from the refresh token', async () => {
    let now = Date.now();
    const app = await start({ clock: () => now });
    const client = await signedIn(app);
    const expired = client.cookies.get('access_token') as string;
    const refresh = client.cookies.get('refresh_token') as string;
    now += 3600_000;
    await waitFor(() => !app.verifier.status.stale); // the next liveness poll confirms the list at the new time
    expect(await outcome(app.verifier, expired)).toBe('ERR_TOKEN_EXPIRED');

    const res = await client.request('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Hello, alice');
    expect(client.cookies.get('access_token')).not.toBe(expired);
    expect(client.cookies.get('refresh_token')).not.toBe(refresh);
    expect(await outcome(app.verifier, client.cookies.get('access_token') as string)).toBe('accepted');
  });

  it('revokes the session at the service when a rotated refresh token is presented again', async () => {
    const app = await start();
    const owner = await signedIn(app);
    const sid = jwtPayload(owner.cookies.get('access_token') as string).sid as string;
    const thief = owner.copy();
    thief.cookies.delete('access_token');
    owner.cookies.delete('access_token');

    expect((await owner.request('/')).status).toBe(200); // rotates
    const replay = await thief.request('/');
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toBe('/login?m=reuse');
    expect(thief.cookies.has('refresh_token')).toBe(false);

    const record = await app.service.admin(`/v1/revocations/session/${sid}`);
    expect(record.status).toBe(200);
    expect(await record.json()).toMatchObject({ sid, sub: 'alice', reason: 'refresh token reused', revokedBy: 'tests' });
    const ownerNext = await owner.request('/');
    expect(ownerNext.headers.get('location')).toBe('/login?m=signed-out');
  });

  it('issues the fresh sign-in after "sign out everywhere" just after the cutoff, to the millisecond', async () => {
    const app = await start();
    const client = await signedIn(app);
    const other = await signedIn(app, 'alice', 'phone');
    const before = client.cookies.get('access_token') as string;

    const res = await client.post('/sign-out-everywhere', {});
    expect(res.headers.get('location')).toBe('/?m=signed-out-everywhere');
    const record = (await (await app.service.admin('/v1/revocations/subject/alice')).json()) as { before: number };
    const cutoff = Math.round(record.before * 1000);
    const fresh = client.cookies.get('access_token') as string;
    const iatMs = Math.round((jwtPayload(fresh).iat as number) * 1000);
    expect(iatMs).toBeGreaterThan(cutoff);
    // Issued right after the cutoff, without waiting for a clock tick (how soon depends on the machine's load).
    expect(iatMs - cutoff).toBeLessThan(15_000);

    expect(await outcome(app.verifier, before)).toBe('ERR_TOKEN_REVOKED');
    expect(await outcome(app.verifier, fresh)).toBe('accepted');
    expect((await client.request('/')).status).toBe(200);
    expect((await other.request('/')).headers.get('location')).toBe('/login?m=signed-out');
  });

  it('fails closed while the revocation list is not current: 503, and the device stays signed in', async () => {
    const stale = testVerifier({ redis: 'redis://127.0.0.1:1', commandTimeout: 0.05 });
    const app = await start({ verifier: stale });
    const client = await signedIn(app);
    const res = await client.request('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(client.cookies.has('refresh_token')).toBe(true);
  });

  it('lets a user sign out only their own devices', async () => {
    const app = await start();
    const alice = await signedIn(app);
    const aliceSid = jwtPayload(alice.cookies.get('access_token') as string).sid as string;
    const bob = await signedIn(app, 'bob');
    expect((await bob.post('/devices/sign-out', { sid: aliceSid })).status).toBe(404);
    expect((await alice.request('/')).status).toBe(200);
    expect((await app.service.admin(`/v1/revocations/session/${aliceSid}`)).status).toBe(404);
  });

  it('lists a curl sign-in under "My devices"; signing it out there revokes its token', async () => {
    const app = await start();
    const token = await (
      await fetch(`${app.url}/api/token`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'alice-password' }) })
    ).text();
    const hello = () => fetch(`${app.url}/api/hello`, { headers: { authorization: `Bearer ${token}` } });
    expect((await hello()).status).toBe(200);
    const browser = await signedIn(app);
    const devices = await (await browser.request('/devices')).text();
    expect(devices).toContain('API token (curl)');
    const sid = jwtPayload(token).sid as string;
    expect((await browser.post('/devices/sign-out', { sid })).headers.get('location')).toBe('/devices?m=device-signed-out');
    await expect.poll(async () => (await hello()).status).toBe(401);
  });
});
