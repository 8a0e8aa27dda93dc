import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import fc from 'fast-check';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createVerifier, type Verifier } from '@revocast/verifier-sdk';
import type { SyncSource } from '@revocast/verifier-sdk/protocol';
import { TokenCache, tokenCost } from '../../../verifier-sdk/src/verify/token-cache.js';
import { cacheKeyOf, tokenHash } from '../../../verifier-sdk/src/verify/token-hash.js';

/** `count` pairs of distinct tokens with the same cache key (a birthday search over 30 bits: about 2^15 tries a pair). */
function collidingPairs(count: number): Array<[string, string]> {
  const seen = new Map<number, string>();
  const pairs: Array<[string, string]> = [];
  for (let i = 0; pairs.length < count; i++) {
    const token = `h.p.c${i}`;
    const key = cacheKeyOf(tokenHash(token));
    const other = seen.get(key);
    if (other === undefined) seen.set(key, token);
    else pairs.push([other, token]);
  }
  return pairs;
}
import { SECRET, memoryStore, outcome, signToken, testVerifier, waitFor } from '../../support/fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A ready verifier, closed when the test ends. */
async function readyVerifier(options: Parameters<typeof testVerifier>[0]): Promise<Verifier> {
  const verifier = testVerifier(options);
  onTestFinished(() => verifier.close());
  await verifier.ready();
  return verifier;
}

function revokeJti(store: ReturnType<typeof memoryStore>, jti: string): Promise<unknown> {
  const now = Date.now();
  return store.revoke(
    {
      record: { type: 'token', id: jti, pruneAt: now + 600_000, revokedBy: 't', revokedAt: now },
      entry: { type: 'token', id: jti, pruneAt: now + 600_000 },
      rank: now + 600_000,
    },
    { actor: 't', now },
  );
}

describe('verified-token cache', () => {
  it('rejects a cached token once it is revoked', async () => {
    const store = memoryStore();
    const verifier = await readyVerifier({ source: store.feed() });
    const token = await signToken({ jti: 'cached-then-revoked' });
    expect(await outcome(verifier, token)).toBe('accepted');
    expect(await outcome(verifier, token)).toBe('accepted');
    await revokeJti(store, 'cached-then-revoked');
    await waitFor(() => verifier.isRevoked({ jti: 'cached-then-revoked' }));
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('rejects a cached token once it expires, at the same second as jose does without the cache', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    let now = start;
    const exp = start / 1000 + 60;
    const token = await new SignJWT({ jti: 'expiring', exp }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
    const source = memoryStore();
    const cachedVerifier = await readyVerifier({ source: source.feed(), clock: () => now, clockTolerance: 5, maxStaleness: 3600 });
    const plainVerifier = await readyVerifier({
      source: source.feed(),
      clock: () => now,
      clockTolerance: 5,
      maxStaleness: 3600,
      tokenCache: false,
    });
    // jose: expired once exp <= floor(now) - tolerance, so at exp + 5 s.
    const moments: Array<[string, number]> = [
      ['issued', start],
      ['exp + 4.999 s', (exp + 4) * 1000 + 999],
      ['exp + 5 s', (exp + 5) * 1000],
      ['exp + 6 s', (exp + 6) * 1000],
    ];
    const seen: Array<[string, string, string]> = [];
    for (const [moment, at] of moments) {
      now = at;
      seen.push([moment, await outcome(cachedVerifier, token), await outcome(plainVerifier, token)]);
    }
    expect(seen).toEqual([
      ['issued', 'accepted', 'accepted'],
      ['exp + 4.999 s', 'accepted', 'accepted'],
      ['exp + 5 s', 'ERR_TOKEN_EXPIRED', 'ERR_TOKEN_EXPIRED'],
      ['exp + 6 s', 'ERR_TOKEN_EXPIRED', 'ERR_TOKEN_EXPIRED'],
    ]);
  });

  it('rejects a cached token once the list goes stale', async () => {
    let now = Date.now();
    const store = memoryStore();
    const feed = store.feed();
    let headWorks = true;
    const source: SyncSource = {
      ...feed,
      head: () => (headWorks ? feed.head() : Promise.reject(new Error('redis is down'))),
    };
    const verifier = await readyVerifier({ source, clock: () => now, maxStaleness: 30 });
    const token = await signToken();
    expect(await outcome(verifier, token)).toBe('accepted');
    expect(await outcome(verifier, token)).toBe('accepted');
    headWorks = false;
    now += 31_000;
    expect(await outcome(verifier, token)).toBe('ERR_LIST_STALE');
  });

  it('hands every caller the same frozen claims, so none can change them for the others', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const token = await signToken({ aud: ['api', 'web'] });
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push(await verifier.verify(token));
    // Cached on the second sighting, then shared.
    expect(calls[3]).toBe(calls[1]);
    expect(calls[2]).toBe(calls[1]);
    for (const claims of calls) {
      expect(Object.isFrozen(claims)).toBe(true);
      expect(Object.isFrozen(claims.aud)).toBe(true);
    }
  });

  it('caches a token on its second sighting, not its first', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const token = await signToken();
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    const third = await verifier.verify(token);
    // The first sighting was verified and answered but not kept; the second was kept and answers the third.
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    expect(third).toBe(second);
  });

  it('does not let tokens seen once push a repeated token out of the cache', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed(), tokenCache: { maxEntries: 2 } });
    const repeated = await signToken({ jti: 'repeated' });
    await verifier.verify(repeated);
    const kept = await verifier.verify(repeated);
    for (let i = 0; i < 20; i++) await verifier.verify(await signToken({ jti: `once-${i}` }));
    expect(await verifier.verify(repeated)).toBe(kept);
  });

  it('refuses bounds that are not whole numbers of at least 1', () => {
    for (const tokenCache of [{ maxEntries: 0 }, { maxBytes: -1 }, { maxEntries: 1.5 }, 'yes']) {
      expect(() => createVerifier({ source: memoryStore().feed(), key: SECRET, algorithms: ['HS256'], tokenCache } as never)).toThrow(
        /tokenCache/,
      );
    }
  });
});

describe('token cache bounds', () => {
  it('keeps at most maxEntries tokens, dropping the oldest first', () => {
    const cache = new TokenCache<string>(3, 1_000_000);
    for (const token of ['t1', 't2', 't3', 't4', 't5']) cache.set(token, `claims of ${token}`, 100, 0);
    expect(cache.size).toBe(3);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t2')).toBeUndefined();
    expect(cache.get('t5')?.claims).toBe('claims of t5');
  });

  it('keeps its approximate bytes within maxBytes, and skips a token bigger than all of it', () => {
    const token = (i: number) => `${'x'.repeat(500)}.${i}`;
    const cost = tokenCost(token(0));
    const cache = new TokenCache<number>(1000, cost * 10 + cost / 2);
    for (let i = 0; i < 100; i++) {
      cache.set(token(i), i, 100, 0);
      expect(cache.bytes).toBeLessThanOrEqual(cost * 10 + cost / 2);
    }
    expect(cache.size).toBe(10);
    cache.set('y'.repeat(100_000), -1, 100, 0);
    expect(cache.get('y'.repeat(100_000))).toBeUndefined();
    expect(cache.size).toBe(10);
  });

  it('evicts in insertion order and answers only the exact token, through any mix of sets, deletes and clears', () => {
    // Some tokens share a Map key (found by search: the key is 30 bits of a hash): an entry answers only for its own token.
    const keyOf = (token: string) => cacheKeyOf(tokenHash(token));
    const tokens = [...collidingPairs(3).flat(), ...Array.from({ length: 6 }, (_, i) => `h.p.s${i}`)];
    expect(new Set(tokens.map(keyOf)).size).toBeLessThanOrEqual(tokens.length - 3);
    const pick = fc.integer({ min: 0, max: tokens.length - 1 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('set' as const), token: pick }),
            fc.record({ op: fc.constant('delete' as const), token: pick }),
            fc.record({ op: fc.constant('clear' as const) }),
          ),
          { maxLength: 200 },
        ),
        (maxEntries, ops) => {
          const cache = new TokenCache<number>(maxEntries, 1_000_000);
          let model: string[] = [];
          for (const [i, step] of ops.entries()) {
            if (step.op === 'clear') {
              cache.clear();
              model = [];
              continue;
            }
            const token = tokens[step.token] as string;
            if (step.op === 'delete') {
              cache.delete(token);
              model = model.filter((held) => held !== token);
            } else {
              cache.set(token, i, 100, 0);
              model = model.filter((held) => keyOf(held) !== keyOf(token));
              model.push(token);
              if (model.length > maxEntries) model.shift();
            }
            expect(tokens.filter((t) => cache.get(t)?.token === t)).toEqual(tokens.filter((t) => model.includes(t)));
            expect(tokens.filter((t) => cache.get(t) !== undefined && cache.get(t)?.token !== t)).toEqual([]);
            expect(cache.size).toBe(model.length);
            expect(cache.bytes).toBe(model.reduce((sum, t) => sum + tokenCost(t), 0));
          }
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });

  it('accounts for a token set twice only once', () => {
    const cache = new TokenCache<number>(10, 1_000_000);
    cache.set('same', 1, 100, 0);
    cache.set('same', 2, 100, 0);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(tokenCost('same'));
    expect(cache.get('same')?.claims).toBe(2);
  });
});

describe('verified-token cache with a JWKS', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('stops accepting a cached token once the refreshed key set no longer has its key', async () => {
    const oldKey = await generateKeyPair('ES256');
    const newKey = await generateKeyPair('ES256');
    const jwk = async (key: CryptoKey, kid: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg: 'ES256', use: 'sig' });
    let keys = [await jwk(oldKey.publicKey, 'old')];
    let fetches = 0;
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;

    // The verifier's own clock stays put; only jose's key-set age (Date.now) moves.
    const now = Date.now();
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const verifier = createVerifier({ source: memoryStore().feed(), jwksUri, algorithms: ['ES256'], clock: () => now, logger: quiet });
    onTestFinished(() => verifier.close());
    await verifier.ready();
    const sign = (key: CryptoKey, kid: string) =>
      new SignJWT({ jti: `t-${kid}` }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('1h').sign(key);
    const oldToken = await sign(oldKey.privateKey, 'old');
    for (let i = 0; i < 3; i++) expect(await outcome(verifier, oldToken)).toBe('accepted');
    expect(fetches).toBe(1);

    // The issuer retires the old key; past jose's cache max age (10 min) the set is fetched again.
    keys = [await jwk(newKey.publicKey, 'new')];
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now + 11 * 60_000);
    expect(await outcome(verifier, oldToken)).toBe('ERR_TOKEN_INVALID');
    expect(fetches).toBe(2);
    expect(await outcome(verifier, await sign(newKey.privateKey, 'new'))).toBe('accepted');
  });
});
