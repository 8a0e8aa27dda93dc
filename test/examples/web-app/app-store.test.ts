import { afterAll, describe, expect, inject, it } from 'vitest';
import type { AppStore, Session } from '../../../examples/web-app/src/store/app-store.js';
import { MemoryAppStore } from '../../../examples/web-app/src/store/memory-app-store.js';
import { RedisAppStore } from '../../../examples/web-app/src/store/redis-app-store.js';
import { uniquePrefix } from '../../support/fixtures.js';

const DAY = 86_400_000;

function session(sub: string, name: string, createdAt = Date.now()): Session {
  return { sid: `${name}-${Math.random().toString(36).slice(2)}`, sub, name, createdAt, lastSeenAt: createdAt };
}

/**
 * The same rules for both stores. `pair()` gives two handles on one state:
 * two app instances on one Redis, or one memory store seen twice.
 */
describe.each([
  {
    kind: 'memory',
    pair: (): [AppStore, AppStore] => {
      const store = new MemoryAppStore();
      return [store, store];
    },
  },
  {
    kind: 'Redis, two instances',
    pair: (): [AppStore, AppStore] => {
      const keyPrefix = uniquePrefix();
      const redis = inject('redisUrl');
      return [new RedisAppStore({ redis, keyPrefix }), new RedisAppStore({ redis, keyPrefix })];
    },
  },
])('the app store ($kind)', ({ pair }) => {
  const opened: AppStore[] = [];
  async function stores(): Promise<[AppStore, AppStore]> {
    const both = pair();
    opened.push(...both);
    await Promise.all(both.map((store) => store.ready()));
    return both;
  }
  afterAll(async () => {
    await Promise.all([...new Set(opened)].map((store) => store.close()));
  });

  it('lets exactly one of many concurrent claims of a refresh token be the fresh one', async () => {
    const [a, b] = await stores();
    await a.saveRefreshToken('hash-1', { sid: 's1', sub: 'alice' }, DAY);
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).claimRefreshToken('hash-1', Date.now())));
    expect(claims.filter((claim) => claim?.status === 'fresh')).toHaveLength(1);
    expect(claims.filter((claim) => claim?.status === 'reused')).toHaveLength(9);
    expect(claims[0]).toMatchObject({ sid: 's1', sub: 'alice' });
    expect(await b.claimRefreshToken('never-issued', Date.now())).toBeNull();
  });

  it('shares sessions: saved on one instance, listed, touched and deleted on the other', async () => {
    const [a, b] = await stores();
    const laptop = session('carol', 'laptop');
    const ipad = session('carol', "maryo's iPad");
    await a.saveSession(laptop, DAY);
    await a.saveSession(ipad, DAY);
    expect((await b.sessionsOf('carol')).map((s) => s.name).sort()).toEqual(['laptop', "maryo's iPad"]);
    expect(await b.touchSession(laptop, laptop.createdAt + 5, DAY)).toBe(true);
    expect((await a.session(laptop.sid))?.lastSeenAt).toBe(laptop.createdAt + 5);
    await b.deleteSession(ipad);
    expect((await a.sessionsOf('carol')).map((s) => s.name)).toEqual(['laptop']);
    await a.deleteSessionsOf('carol');
    expect(await b.sessionsOf('carol')).toEqual([]);
  });

  it('never brings a deleted session back by touching it', async () => {
    const [a, b] = await stores();
    const gone = session('dave', 'phone');
    await a.saveSession(gone, DAY);
    await b.deleteSession(gone);
    expect(await a.touchSession(gone, Date.now(), DAY)).toBe(false);
    expect(await b.session(gone.sid)).toBeNull();
  });

  it("keeps a user's long-lived sessions listed after a short-lived one is added", async () => {
    const [a, b] = await stores();
    const laptop = session('erin', 'laptop');
    await a.saveSession(laptop, DAY);
    await a.saveSession(session('erin', 'API token (curl)'), 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await b.sessionsOf('erin')).map((s) => s.name)).toEqual(['laptop']);
  });

  it('adds a user once: a restart does not overwrite a changed password', async () => {
    const [a, b] = await stores();
    await a.addUser('frank', 'hash-a');
    await b.addUser('frank', 'hash-b');
    expect(await a.passwordHash('frank')).toBe('hash-a');
    await b.setPasswordHash('frank', 'hash-c');
    await a.addUser('frank', 'hash-d');
    expect(await b.passwordHash('frank')).toBe('hash-c');
  });
});
