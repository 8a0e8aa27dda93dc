import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSourceProcess, type SourceProcess } from '../support/source-process.js';

/** Runs the main job as `npm start` does (from source here) and follows the lines it prints. */
describe('the main job on the embedded default', () => {
  let main: SourceProcess;
  let output = '';

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SERVICE_PORT: '0', LOG_LEVEL: 'warn' };
    delete env.REDIS_URL;
    delete env.REVOCAST_ADMIN_KEYS;
    main = await startSourceProcess('examples/web-app/src/main.ts', env, /Press Ctrl\+C/);
    output = main.output();
  });
  afterAll(async () => {
    await main.stop();
  });

  it('says where to open the app in a browser and who to sign in as', () => {
    expect(output).toMatch(/web app:\s+http:\/\/127\.0\.0\.1:\d+\s+open it in a browser, sign in as alice \/ alice-password/);
  });

  it('says that the embedded store serves one process only', () => {
    expect(output).toContain('embedded mode');
    expect(output).toContain('serves this one process only');
  });

  it('works exactly as the printed curl lines say: token, 200, revoke, 401', async () => {
    const web = /web app:\s+(\S+)/.exec(output)?.[1] as string;
    const service = /revocation service:\s+(\S+)/.exec(output)?.[1] as string;
    const adminKey = /admin key "demo": (\S+)\)/.exec(output)?.[1] as string;
    expect(web).toMatch(/^http:\/\//);

    const token = await (
      await fetch(`${web}/api/token`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'alice-password' }) })
    ).text();
    const hello = () => fetch(`${web}/api/hello`, { headers: { authorization: `Bearer ${token}` } });
    expect((await hello()).status).toBe(200);

    const revoke = await fetch(`${service}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'subject', sub: 'alice', reason: 'demo' }),
    });
    expect(revoke.status).toBe(201);
    const after = await hello();
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
  });

  it('refuses a wrong password', async () => {
    const web = /web app:\s+(\S+)/.exec(output)?.[1] as string;
    const res = await fetch(`${web}/api/token`, { method: 'POST', body: new URLSearchParams({ username: 'alice', password: 'nope' }) });
    expect(res.status).toBe(401);
  });
});

/** Opens a change stream and resolves, once it closes, whether it ended as a finished answer (not cut mid-stream). */
function openChangeStream(url: string, adminKey: string): Promise<{ opened: Promise<void>; complete: Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    get(`${url}/v1/changes/stream`, { headers: { authorization: `Bearer ${adminKey}` } }, (res) => {
      let opened!: () => void;
      const first = new Promise<void>((r) => (opened = r));
      res.once('data', () => opened());
      res.on('error', () => {});
      resolve({ opened: first, complete: new Promise((r) => res.on('close', () => r(res.complete))) });
    }).on('error', reject);
  });
}

describe('the main job at shutdown', () => {
  it('ends an open change stream of its embedded service as a finished answer, and exits by itself', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SERVICE_PORT: '0', LOG_LEVEL: 'warn' };
    delete env.REDIS_URL;
    delete env.REVOCAST_ADMIN_KEYS;
    const main = await startSourceProcess('examples/web-app/src/main.ts', env, /Press Ctrl\+C/);
    try {
      const service = /revocation service:\s+(\S+)/.exec(main.output())?.[1] as string;
      const adminKey = /admin key "demo": (\S+)\)/.exec(main.output())?.[1] as string;
      const stream = await openChangeStream(service, adminKey);
      await stream.opened;
      const exited = new Promise<number | null>((resolve) => main.child.once('exit', (code) => resolve(code)));
      main.child.kill('SIGTERM');
      // The service's closing signal ends the stream; a connection cut at shutdown leaves it incomplete.
      expect(await stream.complete).toBe(true);
      expect(await exited).toBe(0);
    } finally {
      await main.stop();
    }
  });
});
