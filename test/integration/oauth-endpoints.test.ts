import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Verifier } from '@revocast/verifier-sdk';
import { createTokenInspector } from '@revocast/revocation-service';
import {
  ADMIN_SECRET,
  memoryStore,
  outcome,
  signToken,
  startService,
  testVerifier,
  uniquePrefix,
  waitFor,
  type ServiceHandle,
} from '../support/fixtures.js';

const HS_SECRET = 'revocast-test-secret-of-32-bytes!';

function form(service: ServiceHandle, path: string, fields: Record<string, string>, secret = ADMIN_SECRET): Promise<Response> {
  return fetch(service.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

describe('RFC 7009 revocation and RFC 7662 introspection', () => {
  const redisUrl = inject('redisUrl');
  const keyPrefix = uniquePrefix();
  let service: ServiceHandle;
  let verifier: Verifier;

  beforeAll(async () => {
    service = await startService({
      redisUrl,
      keyPrefix,
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: HS_SECRET }),
      adminKeys: [
        { name: 'tests', secret: ADMIN_SECRET },
        { name: 'reader', secret: 'reader-secret-0123456789', scopes: ['read'] },
      ],
    });
    verifier = testVerifier({ redis: redisUrl, keyPrefix });
    await verifier.ready();
  });
  afterAll(async () => {
    await verifier.close();
    await service.close();
  });

  it('revokes a signed token by its jti until its exp, and the verifiers reject it', async () => {
    const jti = randomUUID();
    const token = await signToken({ jti, sub: 'oscar' });
    expect(await outcome(verifier, token)).toBe('accepted');
    const res = await form(service, '/oauth2/revoke', { token, token_type_hint: 'access_token' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ revoked: [{ type: 'token', id: jti, changed: true }] });
    await waitFor(() => verifier.isRevoked({ jti }), 15_000, 2);
    expect(await outcome(verifier, token)).toBe('ERR_TOKEN_REVOKED');
    const record = (await (await service.admin(`/v1/revocations/token/${jti}`)).json()) as { sub: string; reason: string };
    expect(record).toMatchObject({ sub: 'oscar', reason: 'revoked through the OAuth 2.0 revocation endpoint' });
  });

  it('revokes the session too when the token carries a sid, and can wait for the verifiers', async () => {
    const sid = `sess-${randomUUID()}`;
    const token = await signToken({ sid });
    const sibling = await signToken({ sid });
    const res = await fetch(`${service.url}/oauth2/revoke?wait=all&timeout=2s`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    const body = (await res.json()) as { revoked: Array<{ type: string }>; propagation: { complete: boolean; applied: number } };
    expect(body.revoked.map((r) => r.type)).toEqual(['token', 'session']);
    expect(body.propagation).toMatchObject({ complete: true, applied: 1 });
    expect(await outcome(verifier, sibling)).toBe('ERR_TOKEN_REVOKED');
  });

  it('answers 200 to a token signed with another key but revokes nothing: no revoking arbitrary jtis', async () => {
    const victim = randomUUID();
    const forged = await signToken({ jti: victim }, new TextEncoder().encode('an-attacker-key-that-is-32-bytes-long'));
    const res = await form(service, '/oauth2/revoke', { token: forged });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ revoked: [] });
    expect((await service.admin(`/v1/revocations/token/${victim}`)).status).toBe(404);
    for (const garbage of ['not-a-jwt', 'a.b.c']) expect((await form(service, '/oauth2/revoke', { token: garbage })).status).toBe(200);
  });

  it('answers OAuth errors: invalid_request, unsupported_token_type, invalid_client, unauthorized_client', async () => {
    const missing = await form(service, '/oauth2/revoke', {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
    const json = await fetch(`${service.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'x' }),
    });
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
    const anonymous = await signToken({ jti: undefined as unknown as string, exp: Math.floor(Date.now() / 1000) + 60 });
    const unsupported = await form(service, '/oauth2/revoke', { token: anonymous });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({ error: 'unsupported_token_type' });
    const noKey = await form(service, '/oauth2/revoke', { token: 'x' }, 'wrong-secret-0123456789');
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: 'invalid_client' });
    const readOnly = await form(service, '/oauth2/revoke', { token: 'x' }, 'reader-secret-0123456789');
    expect(readOnly.status).toBe(403);
    expect(await readOnly.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it('introspects: active with claims, then inactive once revoked, expired or forged', async () => {
    const sub = `user-${randomUUID()}`;
    const token = await signToken({ sub, scope: 'profile' });
    const active = await form(service, '/oauth2/introspect', { token }, 'reader-secret-0123456789');
    expect(active.status).toBe(200);
    expect(await active.json()).toMatchObject({ active: true, token_type: 'access_token', sub, scope: 'profile' });

    await service.admin('/v1/revocations', { body: { type: 'subject', sub } });
    expect(await (await form(service, '/oauth2/introspect', { token })).json()).toEqual({ active: false });

    const expired = await signToken({ exp: Math.floor(Date.now() / 1000) - 60, iat: Date.now() / 1000 - 120 });
    expect(await (await form(service, '/oauth2/introspect', { token: expired })).json()).toEqual({ active: false });
    const forged = await signToken({}, new TextEncoder().encode('an-attacker-key-that-is-32-bytes-long'));
    expect(await (await form(service, '/oauth2/introspect', { token: forged })).json()).toEqual({ active: false });

    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    for (const reason of ['none', 'subject', 'expired', 'invalid'])
      expect(metrics).toMatch(new RegExp(`revocast_introspections_total\\{result="\\w+",reason="${reason}"\\} [1-9]`));
  });

  it('verifies RS256 tokens with a public JWK and refuses a private one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const inspector = createTokenInspector({ algorithms: ['RS256'], publicKey: JSON.stringify(await exportJWK(publicKey)) });
    const token = await new SignJWT({ jti: 'rs' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('5m').sign(privateKey);
    expect(await inspector.inspect(token)).toMatchObject({ ok: true, claims: { jti: 'rs' } });
    const hsToken = await signToken();
    expect(await inspector.inspect(hsToken)).toEqual({ ok: false, reason: 'invalid' });
    const privateJwk = await exportJWK(privateKey);
    await expect(createTokenInspector({ algorithms: ['RS256'], publicKey: JSON.stringify(privateJwk) }).ready()).rejects.toThrow(
      /REVOCAST_JWT_PUBLIC_KEY/,
    );
  });

  it("judges signatures with the SDK's core: one PEM key for RS256 and PS256, key rules as in the verifiers", async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const inspector = createTokenInspector({ algorithms: ['RS256', 'PS256'], publicKey: pem });
    await inspector.ready();
    for (const alg of ['RS256', 'PS256']) {
      const token = await new SignJWT({ jti: alg }).setProtectedHeader({ alg }).setExpirationTime('5m').sign(privateKey);
      expect(await inspector.inspect(token)).toMatchObject({ ok: true, claims: { jti: alg } });
      expect(await inspector.inspect(`${token.slice(0, -2)}AA`)).toEqual({ ok: false, reason: 'invalid' });
    }
    // HS256 keyed with the PEM text: the algorithm is not allowed for this key.
    const confused = await new SignJWT({ jti: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(pem));
    expect(await inspector.inspect(confused)).toEqual({ ok: false, reason: 'invalid' });
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(createTokenInspector({ algorithms: ['RS256'], publicKey: privatePem }).ready()).rejects.toThrow(/REVOCAST_JWT_PUBLIC_KEY/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await expect(createTokenInspector({ algorithms: ['RS256'], publicKey: small }).ready()).rejects.toThrow(
      /REVOCAST_JWT_PUBLIC_KEY.*2048 bits/,
    );
    await expect(createTokenInspector({ algorithms: ['HS384'], secret: 'x'.repeat(40) }).ready()).rejects.toThrow(
      /REVOCAST_JWT_SECRET.*at least 48 bytes/,
    );
  });

  it('answers 501 when no verification keys are configured', async () => {
    const bare = await startService({ redisUrl, keyPrefix: uniquePrefix() });
    try {
      const res = await form(bare, '/oauth2/introspect', { token: 'x' });
      expect(res.status).toBe(501);
      expect(await res.json()).toMatchObject({ code: 'ERR_NOT_CONFIGURED' });
    } finally {
      await bare.close();
    }
  });
});

describe('introspection keeps a revocation as long as verifiers do', () => {
  it('reads a token revoked until its exp as inactive within the clock tolerance after it, as verifiers reject it', async () => {
    let now = Date.now();
    const clock = () => now;
    const store = memoryStore();
    const service = await startService({
      store,
      clock,
      tokenInspector: createTokenInspector({ algorithms: ['HS256'], secret: HS_SECRET }, clock),
    });
    const verifier = testVerifier({ source: store.feed(), clock });
    try {
      await verifier.ready();
      const exp = Math.floor(now / 1000) + 60;
      const jti = randomUUID();
      const revoked = await signToken({ jti, exp, iat: now / 1000 });
      const untouched = await signToken({ exp, iat: now / 1000 });
      expect((await service.admin('/v1/revocations', { body: { type: 'token', jti, exp } })).status).toBe(201);
      // Past exp, inside the default 5 s tolerance: both tokens are still unexpired, and verifiers keep the revocation.
      now = exp * 1000 + 2000;
      await waitFor(async () => (await outcome(verifier, untouched)) === 'accepted', 15_000, 10);
      expect(await outcome(verifier, revoked)).toBe('ERR_TOKEN_REVOKED');
      expect(await (await form(service, '/oauth2/introspect', { token: untouched })).json()).toMatchObject({ active: true });
      expect(await (await form(service, '/oauth2/introspect', { token: revoked })).json()).toEqual({ active: false });
    } finally {
      await verifier.close();
      await service.close();
    }
  });
});
