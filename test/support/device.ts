import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';

/** What a page showed: its heading, its notice or error, and where the browser ended up. */
export interface Seen {
  readonly heading: string;
  readonly notice: string | null;
  readonly error: string | null;
  readonly path: string;
}

/** One device: a browser context of its own (its own cookies) with one tab. */
export class Device {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser): Promise<Device> {
    const context = await browser.newContext();
    return new Device(context, await context.newPage());
  }

  /** What the current page shows. */
  async seen(): Promise<Seen> {
    const text = async (selector: string) => {
      const locator = this.page.locator(selector);
      return (await locator.count()) === 0 ? null : (await locator.first().innerText()).trim();
    };
    return {
      heading: (await text('h1')) ?? '',
      notice: await text('.notice'),
      error: await text('.error'),
      path: new URL(this.page.url()).pathname,
    };
  }

  /** Opens `path` on the app instance at `base`, following redirects. */
  async visit(base: string, path = '/'): Promise<Seen> {
    await this.page.goto(base + path);
    return this.seen();
  }

  /** Fills in and sends the sign-in form of the instance at `base`. */
  async signIn(base: string, username: string, password: string, deviceName: string): Promise<Seen> {
    await this.page.goto(`${base}/login`);
    await this.page.getByLabel('User name').fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByLabel('Name this device').fill(deviceName);
    return this.press('Sign in');
  }

  /** Clicks a button and waits for the page it leads to. */
  async press(name: string, within?: string): Promise<Seen> {
    const scope = within === undefined ? this.page : this.page.locator('li', { hasText: within });
    await Promise.all([this.page.waitForNavigation(), scope.getByRole('button', { name, exact: true }).click()]);
    return this.seen();
  }

  async cookie(name: string): Promise<Cookie | undefined> {
    return (await this.context.cookies()).find((cookie) => cookie.name === name);
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

/** The payload of a JWT, unverified: for looking at what a browser holds. */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
