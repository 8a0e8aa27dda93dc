import { KeyObject, createSecretKey, type webcrypto } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { RevocastError, invalidOptions } from '../../errors.js';
import type { JwsAlgorithm } from './algorithms.js';
import { bindKey, type BoundKey } from './bind-key.js';

/** Key material a verifier accepts: a public JWK, a KeyObject or CryptoKey, or an HMAC secret (text or bytes). */
export type KeyMaterial = JWK | KeyObject | webcrypto.CryptoKey | Uint8Array | string;

function isJwk(key: unknown): key is JWK {
  return typeof key === 'object' && key !== null && typeof (key as { kty?: unknown }).kty === 'string';
}

function isCryptoKey(key: unknown): key is webcrypto.CryptoKey {
  return (key as { [Symbol.toStringTag]?: unknown } | null)?.[Symbol.toStringTag] === 'CryptoKey';
}

function isSecret(key: KeyMaterial): boolean {
  if (typeof key === 'string' || key instanceof Uint8Array) return true;
  if (isJwk(key)) return key.kty === 'oct';
  return (key as { type?: unknown }).type === 'secret';
}

/**
 * The JWS algorithms a CryptoKey was imported for: WebCrypto fixes the hash
 * (and the curve) at import, and jose refuses a token of any other
 * algorithm with it, so the binding keeps that restriction.
 */
function cryptoKeyAlgorithms(key: webcrypto.CryptoKey): readonly string[] {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string };
  const bits = algorithm.hash?.name.replace('SHA-', '');
  switch (algorithm.name) {
    case 'HMAC':
      return [`HS${bits}`];
    case 'RSASSA-PKCS1-v1_5':
      return [`RS${bits}`];
    case 'RSA-PSS':
      return [`PS${bits}`];
    case 'ECDSA':
      return [{ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[algorithm.namedCurve ?? ''] ?? ''];
    case 'Ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

function bind(key: KeyObject, algorithms: readonly JwsAlgorithm[]): BoundKey {
  const bound = bindKey(key, algorithms);
  if (typeof bound === 'string') throw invalidOptions(`key: ${bound}`);
  return bound;
}

function onlyAlgorithms(permitted: readonly string[], algorithms: readonly JwsAlgorithm[], what: string): void {
  const other = algorithms.filter((alg) => !permitted.includes(alg));
  if (other.length > 0) {
    throw invalidOptions(
      `algorithms: ${other.join(', ')} cannot be verified with ${what}, which is for ${permitted.join(', ') || 'no JWS algorithm'}`,
    );
  }
}

/**
 * Loads key material once and binds it to the allowed algorithms: an HMAC
 * secret only with HS* and at least as long as the hash, a public key never
 * with HS*, RSA keys of 2048 bits or more, EC keys on the algorithm's curve,
 * Ed25519 for EdDSA. A JWK is imported with jose (which checks its members);
 * one that names its `alg`, like a CryptoKey, serves that algorithm only.
 * Throws `ERR_INVALID_OPTIONS` naming what is wrong.
 */
export async function loadKey(material: KeyMaterial, algorithms: readonly JwsAlgorithm[]): Promise<BoundKey> {
  const hmac = algorithms.filter((alg) => alg.startsWith('HS'));
  if (isSecret(material)) {
    if (hmac.length !== algorithms.length) throw invalidOptions('algorithms: an HMAC secret can only verify HS256, HS384 or HS512');
  } else if (hmac.length > 0) {
    throw invalidOptions(`algorithms: ${hmac.join(', ')} would treat the public key as an HMAC secret`);
  }
  if (typeof material === 'string' || material instanceof Uint8Array) {
    return bind(createSecretKey(typeof material === 'string' ? Buffer.from(material, 'utf8') : material), algorithms);
  }
  if (material instanceof KeyObject) return bind(material, algorithms);
  if (isCryptoKey(material)) {
    if (!material.usages.includes('verify')) throw invalidOptions('key: the CryptoKey\'s usages do not include "verify"');
    onlyAlgorithms(cryptoKeyAlgorithms(material), algorithms, 'this CryptoKey');
    return bind(KeyObject.from(material), algorithms);
  }
  if (!isJwk(material)) throw invalidOptions('key: give a public JWK, a KeyObject, a CryptoKey or an HMAC secret');
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
  if (material.alg !== undefined) onlyAlgorithms([material.alg], algorithms, `a JWK whose "alg" is ${JSON.stringify(material.alg)}`);
  return bind(imported instanceof Uint8Array ? createSecretKey(imported) : KeyObject.from(imported), algorithms);
}
