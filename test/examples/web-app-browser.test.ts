import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { Device, jwtPayload } from '../support/device.js';
import { freePort, startRedisServer, type RedisHandle } from '../support/redis-server.js';
import { startSourceProcess, type SourceProcess } from '../support/source-process.js';

/**
 * The five everyday scenarios, in headless Chromium, against real processes:
 * the revocation service, a private Redis and two instances of the example
 * app on different ports. Each browser context is one device. Cookies do not
 * depend on the port, so a device takes its sign-in to both instances.
 */
describe('the example app in a real browser, two instances, the service in its own process', { timeout: 40_000 }, () => {
  const ADMIN_KEY = randomBytes(24).toString('base64url');
  const APP_KEY = randomBytes(24).toString('base64url');
  /** Short enough for the expiry scenario to wait it out. */
  const ACCESS_TOKEN_TTL = 2;
  let redis: RedisHandle;
  let service: SourceProcess;
  let serviceUrl: string;
  const apps: SourceProcess[] = [];
  let one: string;
  let two: string;
  let browser: Browser;
  /** Three devices, made once (a new tab costs a renderer process) and emptied of cookies after every test. */
  let devices: Device[] = [];

  function env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: '0', ...extra };
    for (const name of ['REVOCAST_KEY_PREFIX', 'REVOCAST_ADMIN_KEYS', 'DEMO_SIGNING_SECRET', 'APP_KEY_PREFIX']) {
      if (!(name in extra)) delete base[name];
    }
    return base;
  }

  beforeAll(async () => {
    const [redisServer, chromium, servicePort] = await Promise.all([startRedisServer(), launchChromium(), freePort()]);
    redis = redisServer;
    browser = chromium;
    serviceUrl = `http://127.0.0.1:${servicePort}`;
    const appEnv = env({
      REDIS_URL: redis.url,
      REVOCAST_SERVICE_URL: serviceUrl,
      REVOCAST_ADMIN_KEY: APP_KEY,
      DEMO_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      ACCESS_TOKEN_TTL: `${ACCESS_TOKEN_TTL}s`,
      LOG_LEVEL: 'warn',
    });
    // The apps need only Redis to start; the service is first called when a test revokes something.
    const started = await Promise.all([
      startSourceProcess(
        'revocation-service/src/main.ts',
        env({
          REDIS_URL: redis.url,
          PORT: String(servicePort),
          REVOCAST_ADMIN_KEYS: `tests:${ADMIN_KEY},web-app:${APP_KEY}`,
          LOG_LEVEL: 'info',
        }),
        /"msg":"revocation service listening"/,
      ),
      startSourceProcess('examples/web-app/src/main.ts', appEnv, /Press Ctrl\+C/),
      startSourceProcess('examples/web-app/src/main.ts', appEnv, /Press Ctrl\+C/),
      ...[1, 2, 3].map(() => Device.open(browser)),
    ]);
    service = started[0] as SourceProcess;
    apps.push(...(started.slice(1, 3) as SourceProcess[]));
    devices = started.slice(3) as Device[];
    [one, two] = apps.map((app) => /web app:\s+(\S+)/.exec(app.output())?.[1] as string) as [string, string];
    expect(one).not.toBe(two);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(devices.map((d) => d.context.clearCookies()));
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([...apps.map((app) => app.stop()), service?.stop()]);
    await redis?.stop();
  });

  it('1. signs in on two devices, signs one out; the other keeps working on both instances', async () => {
    const [laptop, ipad] = devices as [Device, Device];
    expect((await laptop.signIn(one, 'alice', 'alice-password', 'work laptop 1')).heading).toBe('Hello, alice');
    expect((await ipad.signIn(two, 'alice', 'alice-password', "maryo's iPad 1")).heading).toBe('Hello, alice');
    const access = await laptop.cookie('access_token');
    expect(access).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });
    expect(await laptop.cookie('refresh_token')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    // Instance two lists the sign-in made on instance one: the state is shared.
    await laptop.visit(two, '/devices');
    const listed = await laptop.page.locator('ul.devices li').allInnerTexts();
    expect(listed.some((item) => item.includes('work laptop 1') && item.includes('(this device)'))).toBe(true);
    expect(listed.some((item) => item.includes("maryo's iPad 1"))).toBe(true);

    const afterSignOut = await laptop.press('Sign out', "maryo's iPad 1");
    expect(afterSignOut.notice).toBe('The device was signed out.');
    expect(await laptop.page.locator('ul.devices').innerText()).not.toContain("maryo's iPad 1");

    expect(await ipad.visit(one)).toMatchObject({ heading: 'Sign in', path: '/login', notice: 'You were signed out.' });
    expect((await ipad.visit(two)).heading).toBe('Sign in');
    expect((await laptop.visit(one)).heading).toBe('Hello, alice');
    expect((await laptop.visit(two)).heading).toBe('Hello, alice');
  });

  it('2. a password change signs the other device out on its next request; the first keeps working', async () => {
    const [laptop, phone] = devices as [Device, Device];
    await laptop.signIn(one, 'bob', 'bob-password', 'work laptop 2');
    await phone.signIn(two, 'bob', 'bob-password', 'phone 2');
    expect((await phone.visit(two)).heading).toBe('Hello, bob');

    await laptop.visit(one, '/password');
    await laptop.page.getByLabel('Current password').fill('bob-password');
    await laptop.page.getByLabel('New password').fill('bob-new-password');
    const changed = await laptop.press('Change password');
    expect(changed).toMatchObject({ heading: 'Hello, bob', path: '/' });
    expect(changed.notice).toContain('Password changed');

    expect(await phone.visit(two)).toMatchObject({ heading: 'Sign in', notice: 'You were signed out.' });
    expect((await laptop.visit(two)).heading).toBe('Hello, bob');
    expect((await laptop.visit(one)).heading).toBe('Hello, bob');
    expect((await laptop.visit(two, '/devices')).heading).toBe('My devices');
    expect(await laptop.page.locator('ul.devices li').allInnerTexts()).toEqual([expect.stringContaining('work laptop 2')]);

    expect((await phone.signIn(one, 'bob', 'bob-password', 'phone 2')).error).toBe('Unknown user or wrong password.');
    expect((await phone.signIn(one, 'bob', 'bob-new-password', 'phone 2')).heading).toBe('Hello, bob');
  });

  it('3. an admin forced logout signs both devices out on their next request to either instance', async () => {
    const [laptop, ipad] = devices as [Device, Device];
    await laptop.signIn(one, 'alice', 'alice-password', 'work laptop 3');
    await ipad.signIn(two, 'alice', 'alice-password', "maryo's iPad 3");

    const revoke = await fetch(`${serviceUrl}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'subject', sub: 'alice', reason: 'forced logout' }),
    });
    expect(revoke.status).toBe(201);

    expect(await laptop.visit(two)).toMatchObject({ heading: 'Sign in', notice: 'You were signed out.' });
    expect(await ipad.visit(one)).toMatchObject({ heading: 'Sign in', notice: 'You were signed out.' });
    expect((await laptop.visit(one)).heading).toBe('Sign in');
    expect((await ipad.visit(two)).heading).toBe('Sign in');
    // Signing in again afterwards works: the new sign-in is after the cutoff.
    expect((await laptop.signIn(one, 'alice', 'alice-password', 'work laptop 3')).heading).toBe('Hello, alice');
    expect((await laptop.visit(two)).heading).toBe('Hello, alice');
  });

  it('4. a stolen refresh token replayed after rotation revokes the session', async () => {
    const [laptop, , thief] = devices as [Device, Device, Device];
    await laptop.signIn(one, 'alice', 'alice-password', 'work laptop 4');
    const stolen = (await laptop.cookie('refresh_token'))!;

    // The laptop refreshes (its access token is gone), which rotates the refresh token.
    await laptop.context.clearCookies({ name: 'access_token' });
    expect((await laptop.visit(two)).heading).toBe('Hello, alice');
    expect((await laptop.cookie('refresh_token'))?.value).not.toBe(stolen.value);

    await thief.context.addCookies([stolen]);
    const replay = await thief.visit(one);
    expect(replay.heading).toBe('Sign in');
    expect(replay.notice).toContain('signed out for your safety');

    // The whole session is revoked: the laptop's current access token too, on both instances.
    expect((await laptop.visit(two)).heading).toBe('Sign in');
    expect((await laptop.visit(one)).heading).toBe('Sign in');
  });

  it('5. an expired access token with a valid refresh token is refreshed transparently', async () => {
    const [laptop] = devices as [Device];
    await laptop.signIn(one, 'alice', 'alice-password', 'work laptop 5');
    const access = (await laptop.cookie('access_token'))!.value;
    const refresh = (await laptop.cookie('refresh_token'))!.value;
    const exp = jwtPayload(access).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 100));
    // The browser still sends the expired token: the cookie lives for the browser session.
    expect((await laptop.cookie('access_token'))?.value).toBe(access);

    const response = await laptop.page.goto(`${two}/devices`);
    expect(response?.status()).toBe(200);
    expect(response?.request().redirectedFrom()).toBeNull();
    expect((await laptop.seen()).heading).toBe('My devices');
    const renewed = (await laptop.cookie('access_token'))!.value;
    expect(renewed).not.toBe(access);
    expect((jwtPayload(renewed).exp as number) * 1000).toBeGreaterThan(Date.now());
    expect(jwtPayload(renewed).sid).toBe(jwtPayload(access).sid);
    expect((await laptop.cookie('refresh_token'))?.value).not.toBe(refresh);
    expect((await laptop.visit(one)).heading).toBe('Hello, alice');
  });
});
