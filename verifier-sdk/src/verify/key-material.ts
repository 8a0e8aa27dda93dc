import { createRemoteJWKSet, customFetch, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey, type KeyObject } from 'jose';
import { RevocastError, invalidOptions } from '../errors.js';

/** Key material a verifier accepts: a public JWK, a KeyObject or CryptoKey, or an HMAC secret. */
export type VerificationKey = JWK | KeyObject | CryptoKey | Uint8Array | string;

export type ResolvedKey =
  | { readonly kind: 'static'; readonly key: KeyObject | CryptoKey | Uint8Array }
  | {
      readonly kind: 'jwks';
      readonly getKey: JWTVerifyGetKey;
      /**
       * Changes with every fetch of the key set and is -1 while one is in
       * flight: a verification that saw the same value before and after used
       * the key set that is current.
       */
      readonly version: () => number;
      /** False once the key set is older than jose's cache max age and is due to be fetched again. */
      readonly fresh: () => boolean;
    };

/** Every JWS algorithm the verifier can be allowed; `none` is never among them. */
export const SUPPORTED_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const MIN_SECRET_BYTES = 32;

export function checkAlgorithms(algorithms: unknown): readonly Algorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw invalidOptions('algorithms: give the list of allowed JWS algorithms, for example ["RS256"]');
  }
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw invalidOptions(`algorithms: ${JSON.stringify(alg)} is not allowed; use some of ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
  }
  return algorithms as Algorithm[];
}

function isJwk(key: unknown): key is JWK {
  return typeof key === 'object' && key !== null && typeof (key as { kty?: unknown }).kty === 'string';
}

function isSecret(key: VerificationKey): boolean {
  if (typeof key === 'string' || key instanceof Uint8Array) return true;
  if (isJwk(key)) return key.kty === 'oct';
  // KeyObject and CryptoKey both say what they are.
  return (key as { type?: unknown }).type === 'secret';
}

/**
 * Checks that the key and the algorithms agree (an HMAC secret only with HS*,
 * a public key never with HS*), which rules out algorithm confusion by
 * configuration, and imports the key once.
 */
export async function resolveKey(
  key: VerificationKey | undefined,
  jwksUri: string | URL | undefined,
  algorithms: readonly Algorithm[],
): Promise<ResolvedKey> {
  if ((key === undefined) === (jwksUri === undefined)) {
    throw invalidOptions('give exactly one of key (a public JWK, KeyObject, CryptoKey or HMAC secret) and jwksUri');
  }
  if (jwksUri !== undefined) {
    if (algorithms.some((alg) => alg.startsWith('HS'))) throw invalidOptions('algorithms: HS* cannot be used with jwksUri');
    let fetches = 0;
    const remote = createRemoteJWKSet(new URL(jwksUri), {
      [customFetch]: (url, init) => {
        fetches++;
        return fetch(url, init);
      },
    });
    return {
      kind: 'jwks',
      getKey: remote,
      // jose swaps the key set in only after the body is parsed; `reloading` stays true until then.
      version: () => (remote.reloading ? -1 : fetches),
      fresh: () => remote.fresh,
    };
  }
  const material = key as VerificationKey;
  const hmac = algorithms.filter((alg) => alg.startsWith('HS'));
  if (isSecret(material)) {
    if (hmac.length !== algorithms.length) throw invalidOptions('algorithms: an HMAC secret can only verify HS256, HS384 or HS512');
  } else if (hmac.length > 0) {
    throw invalidOptions(`algorithms: ${hmac.join(', ')} would treat the public key as an HMAC secret`);
  }
  if (typeof material === 'string' || material instanceof Uint8Array) {
    const secret = typeof material === 'string' ? new TextEncoder().encode(material) : material;
    if (secret.byteLength < MIN_SECRET_BYTES) throw invalidOptions(`key: an HMAC secret must be at least ${MIN_SECRET_BYTES} bytes`);
    return { kind: 'static', key: secret };
  }
  if (isJwk(material)) {
    if (material.kty !== 'oct' && material.d !== undefined) throw invalidOptions('key: pass the public JWK, not the private one');
    // jose drops "use" when importing, and "key_ops" alone does not cover an HMAC secret: check both here.
    if (material.use !== undefined && material.use !== 'sig') {
      throw invalidOptions(`key: the JWK is for "use": ${JSON.stringify(material.use)}; give a signing key ("use": "sig")`);
    }
    if (material.key_ops !== undefined && !material.key_ops.includes('verify')) {
      throw invalidOptions('key: the JWK\'s "key_ops" do not include "verify"');
    }
    let imported: Awaited<ReturnType<typeof importJWK>>;
    try {
      imported = await importJWK(material, material.alg ?? algorithms[0]);
    } catch (err) {
      throw new RevocastError('ERR_INVALID_OPTIONS', 500, `key: the JWK cannot be imported: ${(err as Error).message}`, { cause: err });
    }
    if (imported instanceof Uint8Array && imported.byteLength < MIN_SECRET_BYTES) {
      throw invalidOptions(`key: an HMAC secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    return { kind: 'static', key: imported };
  }
  return { kind: 'static', key: material };
}
