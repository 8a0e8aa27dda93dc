import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RevocastError, type Verifier } from '@revocast/verifier-sdk';
import { SECRET, memoryStore, outcome, revokeInStore, signToken, testVerifier, waitFor } from '../../support/fixtures.js';

const open: Verifier[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

async function readyVerifier(options: Parameters<typeof testVerifier>[0]): Promise<Verifier> {
  const verifier = testVerifier(options);
  open.push(verifier);
  await verifier.ready();
  return verifier;
}

/** An HS256 token whose payload is exactly `payload` (JSON text such as `1e400` that JSON.stringify cannot write). */
function signText(payload: string): string {
  const input = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);

describe('claim rules of verify()', () => {
  it('refuses a token issued an hour in the future, so it cannot survive "sign out everywhere"', async () => {
    const store = memoryStore();
    const verifier = await readyVerifier({ source: store.feed() });
    const ahead = await signToken({ sub: 'alice-ahead', iat: now() + 3600 });
    const current = await signToken({ sub: 'alice-ahead' });
    await revokeInStore(store, { type: 'subject', sub: 'alice-ahead' });
    await waitFor(async () => (await outcome(verifier, current)) === 'ERR_TOKEN_REVOKED');
    // Twice: the second call would be answered from the verified-token cache.
    expect(await outcome(verifier, ahead)).toBe('ERR_TOKEN_INVALID');
    expect(await outcome(verifier, ahead)).toBe('ERR_TOKEN_INVALID');
    expect(verifier.isRevoked({ sub: 'alice-ahead', iat: now() + 3600 })).toBe(true);
  });

  it('refuses iat, exp and nbf written as 1e400 (JSON parses them to Infinity), with and without the cache', async () => {
    for (const tokenCache of [undefined, false] as const) {
      const verifier = await readyVerifier({ source: memoryStore().feed(), ...(tokenCache === false ? { tokenCache } : {}) });
      const exp = now() + 60;
      for (const payload of [
        `{"jti":"a","exp":${exp},"iat":1e400}`,
        `{"jti":"a","exp":1e400}`,
        `{"jti":"a","exp":${exp},"nbf":-1e400}`,
        `{"jti":"a","exp":${exp},"iat":-1e400}`,
      ]) {
        expect(await outcome(verifier, signText(payload)), payload).toBe('ERR_TOKEN_INVALID');
        expect(await outcome(verifier, signText(payload)), payload).toBe('ERR_TOKEN_INVALID');
      }
      expect(await outcome(verifier, signText(`{"jti":"a","exp":${exp},"iat":1e2}`))).toBe('accepted');
      expect(verifier.isRevoked({ jti: 'a', exp: Infinity })).toBe(true);
      expect(verifier.isRevoked({ sub: 'a', iat: Number.NaN })).toBe(true);
    }
  });

  it('judges a cached token again when the clock has gone back before its nbf', async () => {
    let nowMs = Date.now();
    const verifier = await readyVerifier({ source: memoryStore().feed(), clock: () => nowMs, clockTolerance: 0 });
    const token = signText(`{"jti":"a","exp":${Math.floor(nowMs / 1000) + 600},"nbf":${Math.floor(nowMs / 1000)}}`);
    expect(await outcome(verifier, token)).toBe('accepted');
    nowMs -= 60_000;
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_INVALID');
    nowMs += 60_000;
    expect(await outcome(verifier, token)).toBe('accepted');
  });

  it('answers a deeply nested signed payload with claims or a RevocastError, never a raw RangeError', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed(), maxTokenLength: 1_000_000 });
    const depth = 150_000;
    const token = signText(`{"jti":"deep","exp":${now() + 60},"d":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    let thrown: unknown;
    try {
      const claims = await verifier.verify(token);
      expect(claims.jti).toBe('deep');
      expect(Object.isFrozen(claims.d)).toBe(true);
    } catch (err) {
      thrown = err;
    }
    if (thrown !== undefined) expect(thrown).toBeInstanceOf(RevocastError);
  });
});

describe('verifyClaims()', () => {
  it('applies the rules verify() applies to claims verified elsewhere, then the list', async () => {
    const store = memoryStore();
    const verifier = await readyVerifier({ source: store.feed(), issuer: 'https://auth.test' });
    const good = { jti: 'vc', exp: now() + 60, iss: 'https://auth.test' };
    expect(verifier.verifyClaims(good)).toBe(good);
    const code = (claims: unknown) => {
      try {
        verifier.verifyClaims(claims);
        return 'accepted';
      } catch (err) {
        return (err as RevocastError).code;
      }
    };
    expect(code({ ...good, iss: 'https://evil.test' })).toBe('ERR_TOKEN_INVALID');
    expect(code({ ...good, jti: undefined, sid: 's' })).toBe('ERR_TOKEN_INVALID');
    expect(code({ exp: now() + 60, iss: 'https://auth.test' })).toBe('ERR_TOKEN_INVALID');
    expect(code({ ...good, exp: now() - 60 })).toBe('ERR_TOKEN_EXPIRED');
    await revokeInStore(store, { type: 'token', jti: 'vc', exp: now() + 60 });
    await waitFor(() => code(good) === 'ERR_TOKEN_REVOKED');
  });
});
