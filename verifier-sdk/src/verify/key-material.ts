import { createRemoteJWKSet, customFetch } from 'jose';
import { invalidOptions } from '../errors.js';
import { JWS_ALGORITHMS, type JwsAlgorithm } from './jws/algorithms.js';
import { loadKey, type KeyMaterial } from './jws/load-key.js';
import { HeaderCache } from './jws/protected-header.js';
import {
  createKeySetJwsVerifier,
  createPooledJwsVerifier,
  createStaticJwsVerifier,
  type KeyLookup,
  type KeySetJwsVerifier,
  type PooledJwsVerifier,
  type StaticJwsVerifier,
} from './jws/verify-compact.js';

/** Key material a verifier accepts: a public JWK, a KeyObject or CryptoKey, or an HMAC secret. */
export type VerificationKey = KeyMaterial;

export type ResolvedKey =
  | {
      readonly kind: 'static';
      readonly verify: StaticJwsVerifier;
      /** The same check on the thread pool, for a public key; none for a secret. */
      readonly pooled: PooledJwsVerifier | undefined;
    }
  | {
      readonly kind: 'jwks';
      readonly verify: KeySetJwsVerifier;
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
export const SUPPORTED_ALGORITHMS = Object.freeze(Object.keys(JWS_ALGORITHMS) as JwsAlgorithm[]);

export type Algorithm = JwsAlgorithm;

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

/**
 * Loads the key once and binds it to the algorithms (see {@link loadKey}:
 * an HMAC secret only with HS*, a public key never with HS*, type, curve and
 * size checked), or sets up the key set: jose fetches, caches and selects by
 * `kid`; the JWS core binds each key it hands out.
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
      verify: createKeySetJwsVerifier(algorithms, remote as unknown as KeyLookup),
      // jose swaps the key set in only after the body is parsed; `reloading` stays true until then.
      version: () => (remote.reloading ? -1 : fetches),
      fresh: () => remote.fresh,
    };
  }
  const bound = await loadKey(key as VerificationKey, algorithms);
  // One header cache for both paths of the key: a header is parsed once, whichever path checks it.
  const headers = new HeaderCache();
  return { kind: 'static', verify: createStaticJwsVerifier(bound, headers), pooled: createPooledJwsVerifier(bound, headers) };
}
