import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { RevocastError, createVerifier, type Verifier } from '@revocast/verifier-sdk';
import { SECRET, memoryStore, outcome, revokeInStore, signRawHs256, signToken, testVerifier, waitFor } from '../../support/fixtures.js';

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

/** A local HTTP server that records the path of every request and answers the JSON it was given for it, 404 otherwise. */
async function recordingServer() {
  const requests: string[] = [];
  const routes = new Map<string, unknown>();
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = routes.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    serve: (path: string, body: unknown) => void routes.set(path, body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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

  it('rejects alg "none" in any spelling, with or without a signature', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const unsecured = new UnsecuredJWT({ jti: 'x', exp: now() + 60 }).encode();
    expect(await outcome(verifier, unsecured)).toBe('ERR_TOKEN_INVALID');
    const claims = { jti: 'x', exp: now() + 60 };
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      // Signed with the verifier's own secret, so only the algorithm can be the reason.
      const macked = signRawHs256({ alg, typ: 'JWT' }, claims);
      const [header, payload] = macked.split('.');
      for (const token of [macked, `${header}.${payload}.`, `${header}.${payload}`])
        expect(await outcome(verifier, token), token).toBe('ERR_TOKEN_INVALID');
    }
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
    const inputs = [
      '',
      'a',
      'a.b.c',
      '...',
      valid.slice(0, -2),
      `${valid}x`,
      valid.replace('.', '..'),
      'x'.repeat(10_000),
      '\u0000.\u0000.\u0000',
    ];
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
    const good = await new SignJWT({ jti: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://auth.test')
      .setAudience('api')
      .setExpirationTime('5m')
      .sign(SECRET);
    const wrongIssuer = await new SignJWT({ jti: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://evil.test')
      .setAudience('api')
      .setExpirationTime('5m')
      .sign(SECRET);
    expect(await outcome(verifier, good)).toBe('accepted');
    expect(await outcome(verifier, wrongIssuer)).toBe('ERR_TOKEN_INVALID');
  });

  it('verifies RS256 with a public JWK', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const verifier = await readyVerifier({ source: memoryStore().feed(), key: await exportJWK(publicKey), algorithms: ['RS256'] });
    const token = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey);
    expect(await outcome(verifier, token)).toBe('accepted');
  });

  it('rejects an HS256 token signed with the RSA public key as secret, in every encoding of that key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    // Every form in which a verifier might have the public key at hand as bytes.
    const secrets = [
      String(publicKey.export({ type: 'spki', format: 'pem' })),
      String(publicKey.export({ type: 'pkcs1', format: 'pem' })),
      publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(jwk),
      Buffer.from(jwk.n as string, 'base64url'),
    ];
    for (const key of [publicKey, { ...jwk, alg: 'RS256' }]) {
      const verifier = await readyVerifier({ source: memoryStore().feed(), key, algorithms: ['RS256'] });
      // The same configuration accepts the real thing, so the refusals below are about the confusion.
      const genuine = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey);
      expect(await outcome(verifier, genuine)).toBe('accepted');
      for (const secret of secrets) {
        const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          const confused = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg }).setExpirationTime('5m').sign(bytes);
          expect(await outcome(verifier, confused)).toBe('ERR_TOKEN_INVALID');
        }
      }
    }
  });

  it('rejects unknown crit headers', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    const token = signRawHs256({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, { jti: 'x', exp: now() + 60 });
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_INVALID');
    // Malformed crit lists, one naming a header that is absent, one naming a registered header, and unencoded payloads.
    for (const header of [
      { crit: [] },
      { crit: 'x-unknown', 'x-unknown': 1 },
      { crit: ['x-absent'] },
      { crit: ['alg'] },
      { crit: ['kid'], kid: 'k' },
      { crit: ['b64'], b64: false },
      { crit: ['exp'], exp: now() + 60 },
    ]) {
      expect(
        await outcome(verifier, signRawHs256({ alg: 'HS256', ...header }, { jti: 'x', exp: now() + 60 })),
        JSON.stringify(header),
      ).toBe('ERR_TOKEN_INVALID');
    }
    // The same token without crit passes: the rejection is about crit, not the signature.
    expect(await outcome(verifier, signRawHs256({ alg: 'HS256' }, { jti: 'x', exp: now() + 60 }))).toBe('accepted');
  });

  it('refuses exp and jti that are present but null or of the wrong type', async () => {
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    for (const claims of [
      { jti: 'x', exp: null },
      { jti: 'x', exp: String(now() + 60) },
      { jti: 'x', exp: [now() + 60] },
      { jti: null, exp: now() + 60 },
      { jti: ['x'], exp: now() + 60 },
      { jti: { id: 'x' }, exp: now() + 60 },
    ]) {
      expect(await outcome(verifier, signRawHs256({ alg: 'HS256' }, claims)), JSON.stringify(claims)).toBe('ERR_TOKEN_INVALID');
    }
  });

  it('never fetches jku or x5u, nor trusts jwk or x5c from the header', async () => {
    const server = await recordingServer();
    try {
      const attacker = await generateKeyPair('ES256');
      server.serve('/jwks.json', { keys: [{ ...(await exportJWK(attacker.publicKey)), kid: 'evil' }] });
      const pointers = { jku: `${server.url}/jwks.json`, x5u: `${server.url}/cert.pem`, kid: 'evil' };
      const hs = await readyVerifier({ source: memoryStore().feed() });
      const es = await readyVerifier({
        source: memoryStore().feed(),
        key: (await generateKeyPair('ES256')).publicKey,
        algorithms: ['ES256'],
      });

      // A genuine token that carries the pointers passes, without any request.
      const genuine = await new SignJWT({ jti: 'x' })
        .setProtectedHeader({ alg: 'HS256', ...pointers })
        .setExpirationTime('5m')
        .sign(SECRET);
      expect(await outcome(hs, genuine)).toBe('accepted');
      // A token signed by the key the pointers lead to, or embedded in the header, is refused.
      const forged = await new SignJWT({ jti: 'x' })
        .setProtectedHeader({ alg: 'ES256', ...pointers, jwk: await exportJWK(attacker.publicKey), x5c: ['MIIBkTCB+wIJAK'] })
        .setExpirationTime('5m')
        .sign(attacker.privateKey);
      expect(await outcome(es, forged)).toBe('ERR_TOKEN_INVALID');
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('treats kid as an opaque label: path and SQL characters neither break nor steer key lookup', async () => {
    const kids = [
      '../../etc/passwd',
      '..%2f..%2fjwks.json',
      "' OR '1'='1",
      '1; DROP TABLE keys; --',
      'a\u0000b',
      '*',
      'https://127.0.0.1/x',
      'x'.repeat(2000),
      42,
      { $ne: null },
      ['a'],
    ];
    // With one static key, kid does not matter: a genuine token passes whatever its kid says.
    const verifier = await readyVerifier({ source: memoryStore().feed() });
    for (const kid of kids) {
      expect(await outcome(verifier, signRawHs256({ alg: 'HS256', kid }, { jti: 'x', exp: now() + 60 })), JSON.stringify(kid)).toBe(
        'accepted',
      );
    }

    // With a key set, kid only selects within the configured set, fetched from its one URL.
    const server = await recordingServer();
    try {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      server.serve('/jwks.json', { keys: [{ ...(await exportJWK(publicKey)), kid: 'good', alg: 'ES256', use: 'sig' }] });
      // key: undefined drops the fixture's HMAC secret, so the key set is the only key.
      const remote = await readyVerifier({
        source: memoryStore().feed(),
        key: undefined,
        jwksUri: `${server.url}/jwks.json`,
        algorithms: ['ES256'],
      } as never);
      const sign = (kid: unknown) =>
        new SignJWT({ jti: 'x' })
          .setProtectedHeader({ alg: 'ES256', kid } as never)
          .setExpirationTime('5m')
          .sign(privateKey);
      expect(await outcome(remote, await sign('good'))).toBe('accepted');
      for (const kid of kids) expect(await outcome(remote, await sign(kid)), JSON.stringify(kid)).toBe('ERR_TOKEN_INVALID');
      expect(new Set(server.requests)).toEqual(new Set(['/jwks.json']));
    } finally {
      await server.close();
    }
  });
});

describe('options are checked when the verifier is created', () => {
  const source = () => memoryStore().feed();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no algorithms', { algorithms: [] }, /algorithms/],
    ['alg none', { algorithms: ['none'] }, /"none" is not allowed/],
    ['a short HMAC secret', { key: 'short' }, /at least 32 bytes/],
    [
      'HS256 with a public key',
      { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey, algorithms: ['HS256'] },
      /public key as an HMAC secret/,
    ],
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
    for (const key of [
      { ...jwk, use: 'enc' },
      { ...jwk, key_ops: ['encrypt'] },
      { kty: 'oct', k: Buffer.from(SECRET).toString('base64url'), key_ops: ['sign'] },
    ]) {
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
    await revokeInStore(store, { type: 'session', sid: 'ipad' });
    await waitFor(() => verifier.isRevoked({ sid: 'ipad' }));
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
    expect(verifier.status).toMatchObject({
      state: 'ready',
      epoch: null,
      offset: 0,
      stale: false,
      entries: { token: 0, subject: 0, session: 0 },
    });
  });
});
