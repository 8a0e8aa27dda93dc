import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { axeViolations, horizontalOverflow } from '../support/browser.js';
import { ADMIN_SECRET, startService, testVerifier, uniquePrefix, waitFor, type ServiceHandle } from '../support/fixtures.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Distinct colours in a PNG: a blank page has one or two. */
function distinctColours(png: Buffer): number {
  const { data } = PNG.sync.read(png);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4)
    colours.add(((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number));
  return colours.size;
}

describe('the admin console in headless Chromium', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let verifier: Verifier;
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const requestedUrls: string[] = [];
  const browserErrors: string[] = [];

  beforeAll(async () => {
    service = await startService({ redisUrl, keyPrefix });
    verifier = testVerifier({ redis: redisUrl, keyPrefix, id: 'web-eu-1' });
    await verifier.ready();
    userDataDir = mkdtempSync(join(tmpdir(), 'revocast-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (request) => requestedUrls.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(error.message));
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await verifier.close();
    await service.close();
  });

  it('sends a signed-out visitor to sign in, under a strict Content-Security-Policy', async () => {
    const response = await page.goto(`${service.url}/admin`);
    expect(page.url()).toBe(`${service.url}/admin/login`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response?.headers()['x-frame-options']).toBe('DENY');
  });

  it('refuses a wrong key, then signs in with an HttpOnly SameSite=Strict cookie and no secret in any URL', async () => {
    await page.fill('input[name=key]', 'not-the-right-key-0123456789');
    await page.click('button[type=submit]');
    await expect(page.textContent('[role=alert]')).resolves.toContain('not valid');
    await page.fill('input[name=key]', ADMIN_SECRET);
    await Promise.all([page.waitForURL(`${service.url}/admin`), page.click('button[type=submit]')]);
    const session = (await context.cookies()).find((cookie) => cookie.name === 'revocast_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(session?.value).not.toContain(ADMIN_SECRET);
    expect(await page.textContent('header')).toContain('signed in as tests');
  }, 30_000);

  it('searches a subject, revokes one session and the whole user with a reason, and shows the propagation', async () => {
    await page.fill('input[name=sub]', 'alice');
    await Promise.all([page.waitForURL(`${service.url}/admin?sub=alice`), page.click('section[aria-label=Search] button')]);
    expect(await page.textContent('#revocations')).toContain('no live revocations');

    await page.fill('input[name=sid]', 'sess-42');
    await page.fill('input[aria-label="Reason for revoking the session"]', 'lost phone');
    await Promise.all([page.waitForNavigation(), page.click('text=Revoke session')]);
    expect(await page.textContent('.flash')).toMatch(/^Revoked session sess-42 — applied on 1 of 1 verifier in \d+ ms$/);

    await page.fill('input[aria-label="Reason for revoking the user"]', 'password changed');
    await Promise.all([page.waitForNavigation(), page.click('text=Revoke user')]);
    expect(await page.textContent('.flash')).toMatch(/^Revoked every token of alice — applied on 1 of 1 verifier in \d+ ms$/);
    expect(verifier.isRevoked({ sub: 'alice', iat: 1 })).toBe(true);
    expect(verifier.isRevoked({ sid: 'sess-42' })).toBe(true);
    const table = await page.textContent('#revocations');
    expect(table).toMatch(/subject\s*alice\s*password changed\s*tests/);
    expect(table).toMatch(/session\s*sess-42\s*lost phone/);
    expect(await page.textContent('section[aria-label=Subject] p')).toContain('Revoked sessions of alice: sess-42');
  }, 30_000);

  it('watches the verifiers and the changes live', async () => {
    await waitFor(async () => ((await page.textContent('#head')) ?? '').includes('updated'), 10_000, 100);
    expect(await page.textContent('#verifiers tbody')).toMatch(/web-eu-1.*ready/s);
    await service.admin('/v1/revocations', { body: { type: 'token', jti: 'watched-live', exp: Math.floor(Date.now() / 1000) + 600 } });
    await waitFor(async () => ((await page.textContent('#changes')) ?? '').includes('revoke token watched-live'), 5000, 50);
  }, 30_000);

  it('renders a page that is not blank (screenshot)', async () => {
    const shot = await page.screenshot({ fullPage: true });
    const path = process.env.REVOCAST_CONSOLE_SCREENSHOT ?? join(userDataDir, 'console.png');
    writeFileSync(path, shot);
    expect(distinctColours(shot)).toBeGreaterThan(50);
    await page.goto('about:blank');
    expect(distinctColours(await page.screenshot())).toBeLessThanOrEqual(2);
    await page.goto(`${service.url}/admin?sub=alice`);
  }, 30_000);

  it('has no serious or critical accessibility findings (axe-core), and announces the live panels', async () => {
    for (const path of ['/admin/login', '/admin?sub=alice']) {
      await page.goto(`${service.url}${path}`);
      expect(await axeViolations(page, 'serious'), path).toEqual([]);
    }
    expect(await page.getAttribute('#changes', 'aria-live')).toBe('polite');
    expect(await page.getAttribute('#head', 'aria-live')).toBe('polite');
    expect(await page.locator('th').evaluateAll((cells) => cells.filter((cell) => (cell.textContent ?? '').trim() === '').length)).toBe(0);
  }, 30_000);

  it.each([360, 390])(
    'fits a %i px wide phone without horizontal scrolling',
    async (width) => {
      await page.setViewportSize({ width, height: 800 });
      try {
        for (const path of ['/admin/login', '/admin?sub=alice']) {
          await page.goto(`${service.url}${path}`);
          expect(await horizontalOverflow(page), `${path} at ${width} px`).toBeLessThanOrEqual(0);
        }
        // Every form control is on screen, Reinstate included; only the live verifier table scrolls within its panel.
        const outside = await page
          .locator('input:not([type=hidden]), button')
          .evaluateAll(
            (elements) =>
              elements.filter(
                (element) => element.getBoundingClientRect().right > (element.ownerDocument.defaultView?.innerWidth ?? 0) + 0.5,
              ).length,
          );
        expect(await page.locator('#revocations button', { hasText: 'Reinstate' }).count()).toBeGreaterThan(0);
        expect(outside).toBe(0);
        if (width === 390 && process.env.REVOCAST_CONSOLE_PHONE_SCREENSHOT !== undefined) {
          writeFileSync(process.env.REVOCAST_CONSOLE_PHONE_SCREENSHOT, await page.screenshot({ fullPage: true }));
        }
      } finally {
        await page.setViewportSize({ width: 1200, height: 900 });
      }
    },
    30_000,
  );

  it('reinstates from the table', async () => {
    const row = page.locator('#revocations tr', { hasText: 'sess-42' });
    await Promise.all([page.waitForNavigation(), row.locator('text=Reinstate').click()]);
    expect(await page.textContent('.flash')).toMatch(/^Reinstated session sess-42 — applied on 1 of 1 verifier/);
    expect(verifier.isRevoked({ sid: 'sess-42' })).toBe(false);
  }, 30_000);

  it('refuses a form without the CSRF token and changes nothing', async () => {
    const res = await page.request.post(`${service.url}/admin/revoke`, { form: { type: 'subject', sub: 'bob' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('CSRF');
    expect((await service.admin('/v1/revocations/subject/bob')).status).toBe(404);
  });

  it('kept every secret out of URLs and broke no policy', () => {
    expect(requestedUrls.some((url) => url.includes(ADMIN_SECRET))).toBe(false);
    // The 401 of the wrong key and the 403 of the forged form are logged as failed loads; nothing else may be.
    expect(browserErrors.filter((text) => !/^Failed to load resource: the server responded with a status of 40[13]/.test(text))).toEqual(
      [],
    );
  });

  it('signs out', async () => {
    await Promise.all([page.waitForURL(`${service.url}/admin/login`), page.click('text=Sign out')]);
    await page.goto(`${service.url}/admin`);
    expect(page.url()).toBe(`${service.url}/admin/login`);
  });
});
