import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { Device } from '../support/device.js';
import { startSourceProcess, type SourceProcess } from '../support/source-process.js';

/**
 * Follows the walkthrough of examples/web-app/README.md step by step, in
 * Chromium, against the main job on its embedded default (one process, no
 * Redis), clicking the links and buttons the README names.
 */
describe('the README walkthrough of the example app', { timeout: 40_000 }, () => {
  let main: SourceProcess;
  let browser: Browser;
  let web: string;
  let laptop: Device;
  let ipad: Device;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SERVICE_PORT: '0', LOG_LEVEL: 'warn' };
    for (const name of ['REDIS_URL', 'REVOCAST_ADMIN_KEYS', 'REVOCAST_SERVICE_URL', 'DEMO_SIGNING_SECRET', 'ACCESS_TOKEN_TTL'])
      delete env[name];
    [main, browser] = await Promise.all([startSourceProcess('examples/web-app/src/main.ts', env, /Press Ctrl\+C/), launchChromium()]);
    web = /web app:\s+(\S+)/.exec(main.output())?.[1] as string;
    // Two devices: the second stands for the README's private window, with cookies of its own.
    [laptop, ipad] = await Promise.all([Device.open(browser), Device.open(browser)]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await main?.stop();
  });

  async function signIn(device: Device, password: string, name: string): Promise<void> {
    await device.page.goto(web);
    expect((await device.seen()).heading).toBe('Sign in');
    await device.page.getByLabel('User name').fill('alice');
    await device.page.getByLabel('Password', { exact: true }).fill(password);
    await device.page.getByLabel('Name this device').fill(name);
    expect((await device.press('Sign in')).heading).toBe('Hello, alice');
  }

  async function reload(device: Device) {
    await device.page.reload();
    return device.seen();
  }

  it('1-3: signs in as alice on the work laptop and, in a private window, on the iPad', async () => {
    await signIn(laptop, 'alice-password', 'work laptop');
    await signIn(ipad, 'alice-password', "maryo's iPad");
  });

  it('4: My devices lists both; signing the iPad out sends it back to the sign-in page', async () => {
    await laptop.page.getByRole('link', { name: 'My devices' }).click();
    await laptop.page.waitForURL('**/devices');
    const listed = await laptop.page.locator('ul.devices li').allInnerTexts();
    expect(listed.map((item) => item.split('\n')[0]?.trim())).toEqual(['work laptop (this device)', "maryo's iPad"]);
    await laptop.press('Sign out', "maryo's iPad");
    expect(await reload(ipad)).toMatchObject({ heading: 'Sign in', notice: 'You were signed out.' });
    expect((await reload(laptop)).heading).toBe('My devices');
  });

  it('5: changing the password on the laptop keeps it signed in and signs the iPad out', async () => {
    await signIn(ipad, 'alice-password', "maryo's iPad");
    await laptop.page.getByRole('link', { name: 'Change password' }).click();
    await laptop.page.waitForURL('**/password');
    await laptop.page.getByLabel('Current password').fill('alice-password');
    await laptop.page.getByLabel('New password').fill('alice-new-password');
    expect((await laptop.press('Change password')).heading).toBe('Hello, alice');
    expect((await reload(ipad)).heading).toBe('Sign in');
    expect((await reload(laptop)).heading).toBe('Hello, alice');
  });

  it('6: the revoke line npm start printed signs both windows out', async () => {
    await signIn(ipad, 'alice-new-password', "maryo's iPad");
    const revokeLine =
      /curl -s -X POST (\S+\/v1\/revocations) -H "Authorization: Bearer (\S+)" \\\n\s+-H 'Content-Type: application\/json' -d '([^']+)'/.exec(
        main.output(),
      );
    expect(revokeLine).not.toBeNull();
    const [, url, key, body] = revokeLine as unknown as [string, string, string, string];
    const revoke = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    expect(revoke.status).toBe(201);
    expect((await reload(laptop)).heading).toBe('Sign in');
    expect((await reload(ipad)).heading).toBe('Sign in');
  });
});
