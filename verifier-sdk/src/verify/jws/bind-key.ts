import { constants, createHmac, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { JWS_ALGORITHMS, MIN_RSA_BITS, type JwsAlgorithm, type JwsAlgorithmSpec } from './algorithms.js';

/**
 * Checks a signature over the signing input (the token up to its second
 * dot, ASCII). Synchronous: node:crypto on a KeyObject, no thread-pool hop.
 */
export type SignatureCheck = (signingInput: string, signature: Buffer) => boolean;

/**
 * A key bound to the algorithms it may verify, decided when the key is
 * loaded. A token's `alg` only selects among these; it never changes how
 * the key is used.
 */
export interface BoundKey {
  readonly checks: ReadonlyMap<string, SignatureCheck>;
}

function describe(key: KeyObject): string {
  if (key.type === 'secret') return `a ${key.symmetricKeySize ?? 0}-byte secret`;
  const type = key.asymmetricKeyType ?? 'unknown';
  if (type === 'rsa' || type === 'rsa-pss')
    return `a ${key.asymmetricKeyDetails?.modulusLength ?? 0}-bit ${type.toUpperCase()} ${key.type} key`;
  if (type === 'ec') return `an EC ${key.type} key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}`;
  return `an ${type} ${key.type} key`;
}

/** Why `key` cannot verify `alg`, as a sentence; `undefined` when it can. */
export function keyProblem(key: KeyObject, alg: JwsAlgorithm): string | undefined {
  const spec: JwsAlgorithmSpec = JWS_ALGORITHMS[alg];
  if (spec.family === 'hmac') {
    if (key.type !== 'secret')
      return `${alg} needs an HMAC secret, not ${describe(key)}: a public key used as a secret is the algorithm-confusion attack`;
    const bytes = key.symmetricKeySize ?? 0;
    if (bytes < spec.minSecretBytes)
      return `${alg} needs a secret of at least ${spec.minSecretBytes} bytes (the hash output), got ${bytes}`;
    return undefined;
  }
  if (key.type !== 'public') {
    return key.type === 'private'
      ? `${alg} verifies with the public key: pass the public key, not the private one`
      : `${alg} needs a public key, not ${describe(key)}`;
  }
  switch (spec.family) {
    case 'rsa':
    case 'rsa-pss': {
      if (key.asymmetricKeyType !== 'rsa') return `${alg} needs an RSA key, not ${describe(key)}`;
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) return `${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits, got ${bits}`;
      return undefined;
    }
    case 'ecdsa':
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== spec.curve) {
        return `${alg} needs an EC key on ${spec.curve}, not ${describe(key)}`;
      }
      return undefined;
    case 'eddsa':
      return key.asymmetricKeyType === 'ed25519' ? undefined : `${alg} needs an Ed25519 key, not ${describe(key)}`;
  }
}

/** The signature check of `alg` with `key`; call only once {@link keyProblem} found none. */
function signatureCheck(key: KeyObject, alg: JwsAlgorithm): SignatureCheck {
  const spec: JwsAlgorithmSpec = JWS_ALGORITHMS[alg];
  switch (spec.family) {
    case 'hmac': {
      // Exported once: createHmac is cheaper on bytes than on a KeyObject.
      const secret = key.export();
      const { hash } = spec;
      return (input, signature) => {
        const mac = createHmac(hash, secret).update(input, 'latin1').digest();
        // Length is public (it is the hash's); the bytes are compared in constant time.
        return mac.length === signature.length && timingSafeEqual(mac, signature);
      };
    }
    case 'rsa':
    case 'rsa-pss': {
      const { hash } = spec;
      const options =
        spec.family === 'rsa'
          ? { key, padding: constants.RSA_PKCS1_PADDING }
          : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength };
      return (input, signature) => verify(hash, Buffer.from(input, 'latin1'), options, signature);
    }
    case 'ecdsa': {
      const { hash, signatureBytes } = spec;
      // IEEE P1363 (R || S), the JWS form; a DER signature or one of any other length is refused.
      const options = { key, dsaEncoding: 'ieee-p1363' as const };
      return (input, signature) => signature.length === signatureBytes && verify(hash, Buffer.from(input, 'latin1'), options, signature);
    }
    case 'eddsa':
      return (input, signature) => signature.length === 64 && verify(null, Buffer.from(input, 'latin1'), key, signature);
  }
}

/**
 * Binds `key` to `algorithms`. Returns the sentence that says why when one
 * of them cannot be verified with this key (wrong type, curve or size), so
 * a configuration that could be confused is refused before any token.
 */
export function bindKey(key: KeyObject, algorithms: readonly JwsAlgorithm[]): BoundKey | string {
  const checks = new Map<string, SignatureCheck>();
  for (const alg of algorithms) {
    const problem = keyProblem(key, alg);
    if (problem !== undefined) return problem;
    checks.set(alg, signatureCheck(key, alg));
  }
  return { checks };
}
