import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_SECRET, memoryStore, startService, type ServiceHandle } from '../support/fixtures.js';
import { startPrefixProxy, type PrefixProxy } from '../support/prefix-proxy.js';

/** Every URL a page points at (href, src, action, data-events), resolved as a browser would. */
function targets(html: string, pageUrl: string): string[] {
  return [...html.matchAll(/\b(?:href|src|action|data-events)="([^"]*)"/g)].map(
    (m) => new URL((m[1] as string).replaceAll('&amp;', '&'), pageUrl).pathname,
  );
}

describe('the console behind a proxy that mounts the service at /revocast', () => {
  let service: ServiceHandle;
  let proxy: PrefixProxy;
  beforeAll(async () => {
    service = await startService({ store: memoryStore() });
    proxy = await startPrefixProxy(service.url, '/revocast');
  });
  afterAll(async () => {
    await proxy.close();
    await service.close();
  });

  it('redirects, links and scopes its cookies under the prefix, never to /admin at the root', async () => {
    const home = `${proxy.url}/revocast/admin`;
    const toLogin = await fetch(home, { redirect: 'manual' });
    expect(toLogin.status).toBe(303);
    const loginUrl = new URL(toLogin.headers.get('location') as string, home).href;
    expect(loginUrl).toBe(`${proxy.url}/revocast/admin/login`);

    const form = await fetch(loginUrl);
    const formHtml = await form.text();
    expect(targets(formHtml, loginUrl).every((path) => path.startsWith('/revocast/admin'))).toBe(true);
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(formHtml)?.[1] as string, loginUrl).href;
    const loginCookie = /revocast_login=[^;]+/.exec(form.headers.get('set-cookie') ?? '')?.[0] as string;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(formHtml)?.[1] as string;
    const signedIn = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, key: ADMIN_SECRET }),
    });
    expect(signedIn.status).toBe(303);
    expect(new URL(signedIn.headers.get('location') as string, action).href).toBe(home);
    // No Path attribute: a browser scopes the cookie to /revocast/admin, the directory of the sign-in form.
    expect(signedIn.headers.get('set-cookie')).not.toMatch(/Path=/i);
    const cookie = /revocast_console=[^;]+/.exec(signedIn.headers.get('set-cookie') ?? '')?.[0] as string;

    for (const pageUrl of [home, `${home}/`, `${home}?sub=alice`]) {
      const page = await fetch(pageUrl, { headers: { cookie } });
      expect(page.status, pageUrl).toBe(200);
      const paths = targets(await page.text(), pageUrl);
      expect(paths.length).toBeGreaterThan(4);
      for (const path of paths) expect(path, `${pageUrl} -> ${path}`).toMatch(/^\/revocast\/admin(\/|$)/);
      expect(paths).toContain('/revocast/admin/events');
      expect(paths).toContain('/revocast/admin/assets/console.css');
    }
    const css = await fetch(`${home}/assets/console.css`);
    expect(css.status).toBe(200);

    const revoked = await fetch(`${home}/revoke`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        _csrf: /name="_csrf" value="([^"]+)"/.exec(await (await fetch(home, { headers: { cookie } })).text())?.[1] as string,
        type: 'subject',
        sub: 'alice',
      }),
    });
    expect(revoked.status).toBe(303);
    expect(new URL(revoked.headers.get('location') as string, `${home}/revoke`).href).toBe(`${home}?sub=alice`);
  });
});
