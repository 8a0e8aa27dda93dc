import { createHmac, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { SignJWT, createLocalJWKSet, exportJWK, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { JwsAlgorithm } from '../../../../verifier-sdk/src/verify/jws/algorithms.js';
import { JwsError } from '../../../../verifier-sdk/src/verify/jws/jws-error.js';
import { loadKey, type KeyMaterial } from '../../../../verifier-sdk/src/verify/jws/load-key.js';
import {
  createKeySetJwsVerifier,
  createStaticJwsVerifier,
  type KeyLookup,
} from '../../../../verifier-sdk/src/verify/jws/verify-compact.js';

/**
 * One test per rule that keeps an algorithm from being weaker than with
 * jose: the algorithm is bound to the key's type, curve and size when the
 * key is loaded, and the token's header never changes how the key is used.
 */

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed25519 = generateKeyPairSync('ed25519');

/** A compact JWS over `claims` with header `header`, signed by `signer`. */
function token(header: Record<string, unknown>, signer: (input: string) => Buffer, claims: Record<string, unknown> = { sub: 'a' }): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${b64(signer(input))}`;
}
const hmac = (hash: string, secret: Uint8Array | string) => (input: string) => createHmac(hash, secret).update(input).digest();

async function refused(material: KeyMaterial, algorithms: JwsAlgorithm[]): Promise<string> {
  const error = await loadKey(material, algorithms).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
  return (error as Error).message;
}

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(JwsError);
    return (err as JwsError).reason;
  }
  return 'accepted';
}

describe('algorithm confusion', () => {
  it('refuses an HMAC secret for any asymmetric algorithm', async () => {
    expect(await refused('a'.repeat(64), ['RS256'])).toMatch(/HMAC secret can only verify/);
    expect(await refused(new Uint8Array(64), ['HS256', 'ES256'])).toMatch(/HMAC secret can only verify/);
  });

  it('refuses a public key, in every form, for HS256', async () => {
    const jwk = await exportJWK(rsa.publicKey);
    const cryptoKey = await importJWK(jwk, 'RS256');
    for (const material of [rsa.publicKey, jwk, cryptoKey as KeyMaterial]) {
      expect(await refused(material, ['HS256'])).toMatch(/public key as an HMAC secret/);
    }
  });

  it('refuses an HS256 token keyed with the RSA public key bytes, in every encoding, as an algorithm not allowed', async () => {
    const verify = createStaticJwsVerifier(await loadKey(rsa.publicKey, ['RS256']));
    const encodings = [
      rsa.publicKey.export({ type: 'spki', format: 'pem' }),
      rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }),
      rsa.publicKey.export({ type: 'spki', format: 'der' }),
      JSON.stringify(await exportJWK(rsa.publicKey)),
    ];
    for (const secret of encodings) expect(reasonOf(() => verify(token({ alg: 'HS256' }, hmac('sha256', secret))))).toBe('alg-not-allowed');
  });

  it('refuses alg "none" in any spelling, signed or not', async () => {
    const verify = createStaticJwsVerifier(await loadKey(rsa.publicKey, ['RS256']));
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      expect(reasonOf(() => verify(`${b64(JSON.stringify({ alg }))}.${b64('{"sub":"a"}')}.`))).toBe('alg-not-allowed');
    }
  });

  it('never lets the header pick a different use of the key: an RS256 signature under "alg": "PS256" fails', async () => {
    const verify = createStaticJwsVerifier(await loadKey(rsa.publicKey, ['RS256', 'PS256']));
    const rs = (input: string) => sign('sha256', Buffer.from(input), rsa.privateKey);
    expect(reasonOf(() => verify(token({ alg: 'RS256' }, rs)))).toBe('accepted');
    const relabelled = token({ alg: 'RS256' }, rs).split('.');
    relabelled[0] = b64(JSON.stringify({ alg: 'PS256' }));
    expect(reasonOf(() => verify(relabelled.join('.')))).toBe('bad-signature');
  });

  it('binds a JWK that names its "alg", and a CryptoKey, to that one algorithm', async () => {
    const jwk: JWK = { ...(await exportJWK(rsa.publicKey)), alg: 'RS256' };
    expect(await refused(jwk, ['RS256', 'PS256'])).toMatch(/PS256 cannot be verified with a JWK whose "alg" is "RS256"/);
    const cryptoKey = (await importJWK(await exportJWK(rsa.publicKey), 'RS256')) as KeyMaterial;
    expect(await refused(cryptoKey, ['RS384'])).toMatch(/RS384 cannot be verified with this CryptoKey/);
  });

  it('refuses a private key where the public key belongs', async () => {
    expect(await refused(rsa.privateKey, ['RS256'])).toMatch(/public key, not the private one/);
    expect(await refused(await exportJWK(ec256.privateKey), ['ES256'])).toMatch(/public JWK, not the private one/);
  });
});

describe('key type and size', () => {
  it('needs an HMAC secret at least as long as the hash output: 32, 48 and 64 bytes', async () => {
    for (const [alg, bytes] of [
      ['HS256', 32],
      ['HS384', 48],
      ['HS512', 64],
    ] as const) {
      expect(await refused(new Uint8Array(bytes - 1), [alg])).toMatch(new RegExp(`${alg} needs a secret of at least ${bytes} bytes`));
      const verify = createStaticJwsVerifier(await loadKey(new Uint8Array(bytes).fill(1), [alg]));
      expect(reasonOf(() => verify(token({ alg }, hmac(`sha${alg.slice(2)}`, new Uint8Array(bytes).fill(1)))))).toBe('accepted');
    }
  });

  it('refuses a truncated HMAC', async () => {
    const secret = new Uint8Array(32).fill(2);
    const verify = createStaticJwsVerifier(await loadKey(secret, ['HS256']));
    expect(reasonOf(() => verify(token({ alg: 'HS256' }, (input) => hmac('sha256', secret)(input).subarray(0, 16))))).toBe('bad-signature');
  });

  it('refuses RSA keys under 2048 bits for RS* and PS*, in every form', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    for (const alg of ['RS256', 'PS256'] as const) {
      expect(await refused(small, [alg])).toMatch(/at least 2048 bits, got 1024/);
      expect(await refused(await exportJWK(small), [alg])).toMatch(/at least 2048 bits, got 1024/);
    }
  });

  it('refuses an RSA key under 2048 bits that a key set hands out, per token', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const set = createLocalJWKSet({ keys: [{ ...(await exportJWK(small.publicKey)), kid: 'small' }] });
    const verify = createKeySetJwsVerifier(['RS256'], set as unknown as KeyLookup);
    const signed = token({ alg: 'RS256', kid: 'small' }, (input) => sign('sha256', Buffer.from(input), small.privateKey));
    await expect(verify(signed)).rejects.toMatchObject({ reason: 'key-unusable', code: 'ERR_TOKEN_INVALID' });
  });

  it('needs the curve of the algorithm: P-256 for ES256, P-384 for ES384, P-521 for ES512', async () => {
    expect(await refused(ec256.publicKey, ['ES384'])).toMatch(/ES384 needs an EC key on secp384r1/);
    expect(await refused(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, ['ES256'])).toMatch(
      /ES256 needs an EC key on prime256v1/,
    );
    expect(await refused(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey, ['ES256'])).toMatch(/ES256 needs an EC key/);
    expect(await refused(rsa.publicKey, ['ES256'])).toMatch(/ES256 needs an EC key/);
  });

  it('needs an Ed25519 key for EdDSA', async () => {
    expect(await refused(generateKeyPairSync('ed448').publicKey, ['EdDSA'])).toMatch(/EdDSA needs an Ed25519 key/);
    expect(await refused(ec256.publicKey, ['Ed25519'])).toMatch(/Ed25519 needs an Ed25519 key/);
  });

  it('takes ECDSA signatures in IEEE P1363 form of exactly the curve length, not DER', async () => {
    const verify = createStaticJwsVerifier(await loadKey(ec256.publicKey, ['ES256']));
    const p1363 = (input: string) => sign('sha256', Buffer.from(input), { key: ec256.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(reasonOf(() => verify(token({ alg: 'ES256' }, p1363)))).toBe('accepted');
    expect(reasonOf(() => verify(token({ alg: 'ES256' }, (input) => sign('sha256', Buffer.from(input), ec256.privateKey))))).toBe(
      'bad-signature',
    );
    expect(reasonOf(() => verify(token({ alg: 'ES256' }, (input) => Buffer.concat([p1363(input), Buffer.alloc(1)]))))).toBe(
      'bad-signature',
    );
    expect(reasonOf(() => verify(token({ alg: 'ES256' }, (input) => Buffer.concat([Buffer.alloc(1), p1363(input)]))))).toBe(
      'bad-signature',
    );
  });

  it('verifies Ed25519 under both names, EdDSA and Ed25519', async () => {
    const verify = createStaticJwsVerifier(await loadKey(ed25519.publicKey, ['EdDSA', 'Ed25519']));
    for (const alg of ['EdDSA', 'Ed25519']) {
      expect(reasonOf(() => verify(token({ alg }, (input) => sign(null, Buffer.from(input), ed25519.privateKey))))).toBe('accepted');
    }
  });

  it('accepts the tokens jose signs, with the public key in every accepted form', async () => {
    const jwt = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'ES256' }).sign(ec256.privateKey);
    const jwk = await exportJWK(ec256.publicKey);
    const pem = createPublicKey(ec256.publicKey.export({ type: 'spki', format: 'pem' }));
    for (const material of [
      ec256.publicKey,
      jwk,
      { ...jwk, alg: 'ES256' },
      (await importJWK(jwk, 'ES256')) as KeyMaterial,
      pem as KeyObject,
    ]) {
      expect(createStaticJwsVerifier(await loadKey(material, ['ES256']))(jwt).payload).toEqual({ sub: 'a' });
    }
  });
});
