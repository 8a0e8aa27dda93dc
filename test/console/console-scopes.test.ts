import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_SECRET, startService, uniquePrefix, type ServiceHandle } from '../support/fixtures.js';

const READER = 'reader-secret-0123456789';

/** Signs in over plain HTTP as a browser would: the form's CSRF token and cookie, then the key. */
async function signIn(url: string, key: string): Promise<{ cookie: string; page: (path: string) => Promise<string>; csrf: string }> {
  const form = await fetch(`${url}/admin/login`);
  const loginCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] as string;
  const signedIn = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: loginCsrf, key }),
  });
  expect(signedIn.status).toBe(303);
  const setCookie = signedIn.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/revocast_console=[^;]+; Max-Age=\d+; Expires=[^;]+; HttpOnly; SameSite=Strict/);
  // No Path: the browser scopes it to the directory of …/admin/login, the console wherever it is mounted.
  expect(setCookie).not.toMatch(/Path=/i);
  const cookie = /revocast_console=[^;]+/.exec(setCookie)?.[0] as string;
  const page = async (path: string) => (await fetch(url + path, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page('/admin'))?.[1] as string;
  return { cookie, page, csrf };
}

describe('the console follows the key scopes', () => {
  const redisUrl = inject('redisUrl');
  let service: ServiceHandle;

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix: uniquePrefix(),
      adminKeys: [
        { name: 'tests', secret: ADMIN_SECRET },
        { name: 'reader', secret: READER, scopes: ['read'] },
      ],
    });
    await service.admin('/v1/revocations', { body: { type: 'session', sid: 'scoped-sess', sub: 'carol' } });
  });
  afterAll(() => service.close());

  it('shows a read-only key the subject without revoke or reinstate buttons, and refuses its POSTs', async () => {
    const { cookie, page, csrf } = await signIn(service.url, READER);
    const html = await page('/admin?sub=carol');
    expect(html).toContain('scoped-sess');
    expect(html).not.toContain('action="admin/revoke"');
    expect(html).not.toContain('action="admin/reinstate"');
    const res = await fetch(`${service.url}/admin/revoke`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, type: 'subject', sub: 'carol' }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('lacks the &quot;revoke&quot; scope');
    expect((await service.admin('/v1/revocations/subject/carol')).status).toBe(404);
  });

  it('escapes what it shows: a subject cannot inject markup', async () => {
    const { page } = await signIn(service.url, ADMIN_SECRET);
    const html = await page(`/admin?sub=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses a sign-in form posted without its own CSRF cookie', async () => {
    const res = await fetch(`${service.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: 'guessed', key: ADMIN_SECRET }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
