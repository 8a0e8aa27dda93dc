import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RevocastError, createSignatureVerifier } from '@revocast/verifier-sdk';
import { PoolGate, poolThreads } from '../../../verifier-sdk/src/verify/pool-gate.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PoolGate', () => {
  it('keeps one verification at a time on the event loop, awaited or not', async () => {
    const gate = new PoolGate(4);
    for (let i = 0; i < 20; i++) {
      expect(gate.wanted()).toBe(false);
      await Promise.resolve();
    }
  });

  it('sends the second of two verifications started together to the pool, and later ones while the pool is busy', async () => {
    const gate = new PoolGate(4);
    expect(gate.wanted()).toBe(false);
    expect(gate.wanted()).toBe(true);
    const work = deferred<number>();
    const running = gate.run(() => work.promise);
    await Promise.resolve();
    // Another turn, but the pool still holds a check: join it.
    expect(gate.wanted()).toBe(true);
    work.resolve(1);
    await expect(running).resolves.toBe(1);
    expect(gate.inPool).toBe(0);
    await Promise.resolve();
    expect(gate.wanted()).toBe(false);
  });

  it('never has more than its limit in the pool, starts the waiting ones in order, and settles every call with its own outcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.record({ fails: fc.boolean(), finishAfter: fc.nat(5) }), { minLength: 1, maxLength: 30 }),
        async (limit, checks) => {
          const gate = new PoolGate(limit);
          const started: number[] = [];
          let most = 0;
          const pending = new Map<number, ReturnType<typeof deferred<number>>>();
          const results = checks.map((_, i) =>
            gate
              .run(() => {
                started.push(i);
                most = Math.max(most, gate.inPool);
                const d = deferred<number>();
                pending.set(i, d);
                return d.promise;
              })
              .then(
                (value) => ({ ok: value }),
                (err: Error) => ({ failed: err.message }),
              ),
          );
          // Finish checks in an order the case picks, a few turns apart, until all are done.
          for (let round = 0; pending.size > 0; round++) {
            for (const [i, d] of [...pending]) {
              if (round >= (checks[i]?.finishAfter ?? 0)) {
                pending.delete(i);
                if (checks[i]?.fails) d.reject(new Error(`check ${i} failed`));
                else d.resolve(i);
              }
            }
            await turn();
          }
          const settled = await Promise.all(results);
          expect(most).toBeLessThanOrEqual(limit);
          expect(started).toEqual(checks.map((_, i) => i));
          expect(settled).toEqual(checks.map((c, i) => (c.fails ? { failed: `check ${i} failed` } : { ok: i })));
          expect(gate.inPool).toBe(0);
          expect(gate.waiting).toBe(0);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });

  it('counts a check that throws instead of returning a promise as settled', async () => {
    const gate = new PoolGate(1);
    await expect(
      gate.run(() => {
        throw new Error('thrown');
      }),
    ).rejects.toThrow('thrown');
    expect(gate.inPool).toBe(0);
  });

  it('reads the pool size from UV_THREADPOOL_SIZE', () => {
    expect(poolThreads({})).toBe(4);
    expect(poolThreads({ UV_THREADPOOL_SIZE: '16' })).toBe(16);
    expect(poolThreads({ UV_THREADPOOL_SIZE: 'lots' })).toBe(4);
    expect(poolThreads({ UV_THREADPOOL_SIZE: '0' })).toBe(4);
  });
});

describe('signature checks on the thread pool', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
  const token = (claims: object, tamper = false) => {
    const input = `${b64(JSON.stringify({ alg: 'ES256' }))}.${b64(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    if (tamper) signature.writeUInt8((signature.readUInt8(5) ^ 1) & 0xff, 5);
    return `${input}.${b64(signature)}`;
  };
  const tokens = Array.from({ length: 40 }, (_, i) =>
    i % 5 === 3 ? token({ n: i }, true) : i % 7 === 2 ? `${token({ n: i })}x` : token({ n: i }),
  );

  async function verdicts(verify: (t: string) => unknown, together: boolean) {
    const one = async (t: string) => {
      try {
        return { payload: await verify(t) };
      } catch (err) {
        return { code: (err as RevocastError).code, message: (err as Error).message };
      }
    };
    if (together) return Promise.all(tokens.map(one));
    const out = [];
    for (const t of tokens) out.push(await one(t));
    return out;
  }

  it('gives the same payloads and errors for ES256 tokens verified together (pooled) as one at a time (event loop)', async () => {
    const signatures = createSignatureVerifier({ key: publicKey, algorithms: ['ES256'] });
    await signatures.ready();
    // One at a time: never a promise, so never the pool.
    for (const t of tokens.slice(0, 5)) {
      const result = (() => {
        try {
          return signatures.verify(t);
        } catch {
          return undefined;
        }
      })();
      expect(result instanceof Promise).toBe(false);
      await Promise.resolve();
    }
    const started = tokens.map((t) => {
      try {
        return signatures.verify(t);
      } catch {
        return undefined;
      }
    });
    // Started together: all but the first (and those refused before any cryptography) went to the pool.
    expect(started.filter((r) => r instanceof Promise).length).toBeGreaterThan(25);
    await Promise.allSettled(started);
    const sequential = await verdicts((t) => signatures.verify(t), false);
    expect(await verdicts((t) => signatures.verify(t), true)).toEqual(sequential);
    expect(sequential.filter((v) => 'payload' in v).length).toBeGreaterThan(20);
    expect(new Set(sequential.map((v) => ('code' in v ? v.code : 'ok')))).toEqual(new Set(['ok', 'ERR_TOKEN_INVALID']));
    const noPool = createSignatureVerifier({ key: publicKey, algorithms: ['ES256'], threadPool: false });
    await noPool.ready();
    expect(await verdicts((t) => noPool.verify(t), true)).toEqual(sequential);
  });

  it('keeps HMAC on the event loop, even started together', async () => {
    const signatures = createSignatureVerifier({ key: 'a-secret-of-at-least-thirty-two-bytes!!', algorithms: ['HS256'] });
    await signatures.ready();
    const results = Array.from({ length: 10 }, () => {
      try {
        return signatures.verify(tokens[0]);
      } catch (err) {
        return err;
      }
    });
    expect(results.some((r) => r instanceof Promise)).toBe(false);
  });
});
