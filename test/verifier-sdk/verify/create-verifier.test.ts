import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RevocastError, createVerifier, type Verifier } from '@revocast/verifier-sdk';
import { SECRET, memoryStore, outcome, signRawHs256, signToken, testVerifier } from '../../support/fixtures.js';

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

const now = () => Math.floor(Date.now() / 1000);

describe('token verification', () => {
  it('resolves the claims of a valid token', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const claims = await verifier.verify(await signToken({ sub: 'bob', sid: 'laptop' }));
    expect(claims).toMatchObject({ sub: 'bob', sid: 'laptop' });
  });

  it('rejects an expired token with ERR_TOKEN_EXPIRED', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    expect(await outcome(verifier, await signToken({ exp: now() - 60, iat: now() - 120 }))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('accepts a token expired within the clock tolerance', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed(), clockTolerance: 30 });
    expect(await outcome(verifier, await signToken({ exp: now() - 10, iat: now() - 120 }))).toBe('accepted');
  });

  it('requires exp and jti by default', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const noExp = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
    const noJti = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(SECRET);
    expect(await outcome(verifier, noExp)).toBe('ERR_TOKEN_INVALID');
    expect(await outcome(verifier, noJti)).toBe('ERR_TOKEN_INVALID');
  });

  it('rejects alg "none"', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const unsecured = new UnsecuredJWT({ jti: 'x', exp: now() + 60 }).encode();
    expect(await outcome(verifier, unsecured)).toBe('ERR_TOKEN_INVALID');
  });

  it('rejects an algorithm outside the allow-list', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const hs512 = await new SignJWT({ jti: 'x', exp: now() + 60 }).setProtectedHeader({ alg: 'HS512' }).sign(SECRET);
    expect(await outcome(verifier, hs512)).toBe('ERR_TOKEN_INVALID');
  });

  it('never takes the key from the token header (embedded jwk)', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const attacker = await generateKeyPair('ES256');
    const verifier = await readyVerifier({ source: memoryStore().feed(), key: publicKey, algorithms: ['ES256'] });
    const forged = await new SignJWT({ jti: 'x', exp: now() + 60 })
      .setProtectedHeader({ alg: 'ES256', jwk: await exportJWK(attacker.publicKey) })
      .sign(attacker.privateKey);
    expect(await outcome(verifier, forged)).toBe('ERR_TOKEN_INVALID');
  });

  it('rejects garbage of every shape as ERR_TOKEN_INVALID, never anything else', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const valid = await signToken();
    const inputs = ['', 'a', 'a.b.c', '...', valid.slice(0, -2), `${valid}x`, valid.replace('.', '..'), 'x'.repeat(10_000), '\u0000.\u0000.\u0000'];
    for (const input of inputs) expect(await outcome(verifier, input)).toBe('ERR_TOKEN_INVALID');
    expect(await outcome(verifier, 42 as unknown as string)).toBe('ERR_TOKEN_INVALID');
  });

  it('rejects claims of the wrong type', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const token = signRawHs256({ alg: 'HS256' }, { jti: 7, exp: now() + 60 });
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_INVALID');
    const sid = await new SignJWT({ jti: 'x', sid: { a: 1 }, exp: now() + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
    expect(await outcome(verifier, sid)).toBe('ERR_TOKEN_INVALID');
  });

  it('checks issuer and audience when configured', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed(), issuer: 'https://auth.test', audience: 'api' });
    const good = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://auth.test').setAudience('api').setExpirationTime('5m').sign(SECRET);
    const wrongIssuer = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://evil.test').setAudience('api').setExpirationTime('5m').sign(SECRET);
    expect(await outcome(verifier, good)).toBe('accepted');
    expect(await outcome(verifier, wrongIssuer)).toBe('ERR_TOKEN_INVALID');
  });

  it('verifies RS256 with a public JWK', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const verifier = await readyVerifier({ source: memoryStore().feed(), key: await exportJWK(publicKey), algorithms: ['RS256'] });
    const token = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey);
    expect(await outcome(verifier, token)).toBe('accepted');
  });

  it('rejects an HS256 token signed with the RSA public key as secret', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const verifier = await readyVerifier({ source: memoryStore().feed(), key: publicKey, algorithms: ['RS256'] });
    const confused = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(String(pem)));
    expect(await outcome(verifier, confused)).toBe('ERR_TOKEN_INVALID');
  });

  it('rejects unknown crit headers', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const token = signRawHs256({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, { jti: 'x', exp: now() + 60 });
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_INVALID');
    // The same token without crit passes: the rejection is about crit, not the signature.
    expect(await outcome(verifier, signRawHs256({ alg: 'HS256' }, { jti: 'x', exp: now() + 60 }))).toBe('accepted');
  });

  it('ignores jku and x5u headers instead of fetching them', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const token = await new SignJWT({ jti: 'x' })
      .setProtectedHeader({ alg: 'HS256', jku: 'http://127.0.0.1:1/keys', x5u: 'http://127.0.0.1:1/cert', kid: "../../etc/passwd' OR 1=1" })
      .setExpirationTime('5m')
      .sign(SECRET);
    expect(await outcome(verifier, token)).toBe('accepted');
  });
});

describe('options are checked when the verifier is created', () => {
  const source = () => memoryStore().feed();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no algorithms', { algorithms: [] }, /algorithms/],
    ['alg none', { algorithms: ['none'] }, /"none" is not allowed/],
    ['a short HMAC secret', { key: 'short' }, /at least 32 bytes/],
    ['HS256 with a public key', { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, algorithms: ['HS256'] }, /public key as an HMAC secret/],
    ['RS256 with a secret', { algorithms: ['RS256'] }, /HMAC secret can only verify/],
    ['both key and jwksUri', { jwksUri: 'https://example.invalid/jwks' }, /exactly one of key/],
    ['a negative maxStaleness', { maxStaleness: -1 }, /maxStaleness/],
    ['a bad key prefix', { keyPrefix: '{x}' }, /keyPrefix/],
  ];
  it.each(cases)('refuses %s', async (_name, overrides, message) => {
    const attempt = async () => {
      const verifier = createVerifier({ source: source(), key: SECRET, algorithms: ['HS256'], ...overrides } as never);
      open.push(verifier);
      await verifier.ready();
    };
    await expect(attempt()).rejects.toThrow(message);
  });

  it('refuses a private JWK', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const verifier = createVerifier({ source: source(), key: await exportJWK(privateKey), algorithms: ['ES256'] });
    open.push(verifier);
    await expect(verifier.ready()).rejects.toBeInstanceOf(RevocastError);
  });

  it('refuses a JWK meant for encryption, or whose key_ops do not include verify', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    for (const key of [{ ...jwk, use: 'enc' }, { ...jwk, key_ops: ['encrypt'] }, { kty: 'oct', k: Buffer.from(SECRET).toString('base64url'), key_ops: ['sign'] }]) {
      const verifier = createVerifier({ source: source(), key, algorithms: key.kty === 'oct' ? ['HS256'] : ['ES256'] });
      open.push(verifier);
      await expect(verifier.ready()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', message: /"use"|key_ops/ });
    }
  });

  it('reports a JWK that cannot be imported as ERR_INVALID_OPTIONS, and fails every token closed', async () => {
    const { publicKey } = await generateKeyPair('ES512');
    // "ES521" is a misspelling seen in the wild (RFC 7520's own examples); it names no JWS algorithm.
    const verifier = createVerifier({ source: source(), key: { ...(await exportJWK(publicKey)), alg: 'ES521' }, algorithms: ['ES512'] });
    open.push(verifier);
    await expect(verifier.ready()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS', message: /cannot be imported/ });
    expect(await outcome(verifier, await signToken())).toBe('ERR_INVALID_OPTIONS');
  });

  it('refuses two verifiers on one metrics registry', () => {
    const registry = new Registry();
    open.push(createVerifier({ source: source(), key: SECRET, algorithms: ['HS256'], registry }));
    expect(() => createVerifier({ source: source(), key: SECRET, algorithms: ['HS256'], registry })).toThrow(/own prom-client registry/);
  });
});

describe('revocation and staleness', () => {
  it('rejects before the list is loaded, with ERR_LIST_STALE', async () => {
    // Nothing listens on port 1: the list can never load.
    const verifier = testVerifier({ redis: 'redis://127.0.0.1:1', commandTimeout: 0.05 });
    open.push(verifier);
    const err = await verifier.verify(await signToken()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_LIST_STALE', status: 503 });
  });

  it('reports the matching revocation in the error', async () => {
    const store = memoryStore();
    const verifier = await readyVerifier({ source: store.feed() });
    await store.revoke(
      { record: { type: 'session', id: 'ipad', pruneAt: Date.now() + 60_000, revokedBy: 't', revokedAt: Date.now() }, entry: { type: 'session', id: 'ipad', pruneAt: Date.now() + 60_000 }, rank: 1 },
      { actor: 't', now: Date.now() },
    );
    await new Promise((r) => setTimeout(r, 5));
    const err = await verifier.verify(await signToken({ sid: 'ipad' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TOKEN_REVOKED', status: 401, reason: 'session' });
  });

  it('counts checks by result and reason on the given registry', async () => {
    const registry = new Registry();
    const verifier = await readyVerifier({ source: memoryStore().feed(), registry });
    await verifier.verify(await signToken());
    await outcome(verifier, 'garbage');
    const text = await registry.metrics();
    expect(text).toMatch(/revocast_verifier_checks_total\{result="accepted",reason="none"\} 1/);
    expect(text).toMatch(/revocast_verifier_checks_total\{result="rejected",reason="invalid"\} 1/);
    expect(text).toMatch(/revocast_verifier_reloads_total\{reason="start"\} 1/);
  });

  it('exposes its sync status', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    expect(verifier.status).toMatchObject({ state: 'ready', epoch: null, offset: 0, stale: false, entries: { token: 0, subject: 0, session: 0 } });
  });
});
