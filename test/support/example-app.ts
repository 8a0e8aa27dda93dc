import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Verifier } from '@revocast/verifier-sdk';
import { createRevocationClient } from '../../examples/web-app/src/revocation-client.js';
import { seedDemoUsers } from '../../examples/web-app/src/auth/demo-users.js';
import type { AppStore } from '../../examples/web-app/src/store/app-store.js';
import { MemoryAppStore } from '../../examples/web-app/src/store/memory-app-store.js';
import { createWebApp } from '../../examples/web-app/src/web-app.js';
import { ADMIN_SECRET, SECRET, memoryStore, startService, testVerifier, type ServiceHandle } from './fixtures.js';

/** The example app in this process, with the service on an in-memory store behind real HTTP. */
export interface ExampleApp {
  readonly url: string;
  readonly service: ServiceHandle;
  readonly store: AppStore;
  readonly verifier: Verifier;
  close(): Promise<void>;
}

export async function startExampleApp(
  options: { store?: AppStore; verifier?: Verifier; clock?: () => number; trustProxy?: boolean; accessTokenTtl?: number } = {},
): Promise<ExampleApp> {
  const revocationStore = memoryStore();
  const service = await startService({ store: revocationStore });
  const clock = options.clock ?? Date.now;
  const store = options.store ?? new MemoryAppStore({ clock });
  const verifier = options.verifier ?? testVerifier({ source: revocationStore.feed(), clock });
  await Promise.all([store.ready(), seedDemoUsers(store)]);
  const app = createWebApp({
    verifier,
    store,
    revocations: createRevocationClient({ url: service.url, adminKey: ADMIN_SECRET }),
    signingSecret: new TextDecoder().decode(SECRET),
    clock,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ...(options.accessTokenTtl === undefined ? {} : { accessTokenTtl: options.accessTokenTtl }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    service,
    store,
    verifier,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all([verifier.close(), service.close(), store.close()]);
    },
  };
}

/** A cookie-keeping HTTP client that fills in the CSRF field of the forms it posts, as a browser with the page open would. */
export class FormClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, as sent. */
  readonly setCookies: string[] = [];

  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(
    path: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const res = await fetch(this.base + path, {
      method: init.method ?? (init.form === undefined ? 'GET' : 'POST'),
      redirect: 'manual',
      headers: { ...this.headers, ...(cookie === '' ? {} : { cookie }), ...init.headers },
      ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form) }),
    });
    for (const line of res.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  #csrf: string | undefined;

  /**
   * The CSRF token of this client's forms, read once from the sign-in page
   * (it depends only on the CSRF cookie, which lasts), so that posting a form
   * does not first load a page that could refresh the sign-in.
   */
  async csrfToken(): Promise<string> {
    if (this.#csrf !== undefined) return this.#csrf;
    const page = await (await this.request('/login')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
    if (token === undefined) throw new Error('no CSRF field on /login (is this client signed in already?)');
    this.#csrf = token;
    return token;
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { form: { _csrf: await this.csrfToken(), ...form }, headers });
  }

  signIn(username: string, password: string, device: string): Promise<Response> {
    return this.post('/login', { username, password, device });
  }

  /** A second client holding a copy of this one's cookies: a thief's. */
  copy(): FormClient {
    const other = new FormClient(this.base, this.headers);
    for (const [name, value] of this.cookies) other.cookies.set(name, value);
    other.#csrf = this.#csrf;
    return other;
  }
}
