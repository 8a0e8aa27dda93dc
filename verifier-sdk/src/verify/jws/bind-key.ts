import { constants, verify, type KeyObject } from 'node:crypto';
import { JWS_ALGORITHMS, MIN_RSA_BITS, type JwsAlgorithm, type JwsAlgorithmSpec } from './algorithms.js';
import { hmacCheck } from './hmac.js';

/**
 * Checks a signature over the signing input (the token up to its second
 * dot, ASCII). `signature` is the token's third segment, base64url already
 * checked canonical: an HMAC is compared as that text, the other checks
 * decode it. Synchronous: node:crypto, no thread-pool hop.
 */
export type SignatureCheck = (signingInput: string, signature: string) => boolean;

/**
 * The same check on libuv's thread pool (node:crypto's callback form), so
 * several run on other cores while the event loop goes on. Only the
 * elliptic-curve algorithms (ES*, EdDSA) have one: node:crypto has no
 * asynchronous HMAC, and an HMAC or an RSA verification (a small public
 * exponent: 27 µs for RS256 here) costs less than the hop there and back;
 * with 64 in flight RS256 was slower pooled (20,000 to 28,000/s) than on
 * the event loop (29,000 to 30,000/s), ES256 and EdDSA faster (1.3x, 1.4x).
 */
export type PooledSignatureCheck = (signingInput: string, signature: string) => Promise<boolean>;

/**
 * A key bound to the algorithms it may verify, decided when the key is
 * loaded. A token's `alg` only selects among these; it never changes how
 * the key is used.
 */
export interface BoundKey {
  readonly checks: ReadonlyMap<string, SignatureCheck>;
  /** The pooled form of each check that has one (ES*, EdDSA). */
  readonly pooled: ReadonlyMap<string, PooledSignatureCheck>;
}

type VerifyArguments = [hash: string | null, data: Buffer, key: Parameters<typeof verify>[2], signature: Buffer];

/** node:crypto's `verify` with a callback, as a promise: the work runs on the thread pool. */
function verifyOnPool(...args: VerifyArguments): Promise<boolean> {
  return new Promise((resolve, reject) => verify(...args, (err, valid) => (err === null ? resolve(valid) : reject(err))));
}

const decoded = (segment: string) => Buffer.from(segment, 'base64url');

/** A check and, for the elliptic curves, its pooled twin from one description of the work, so the two cannot differ. */
interface CheckPair {
  readonly check: SignatureCheck;
  readonly pooled?: PooledSignatureCheck;
}

/**
 * Both forms of an elliptic-curve check: `accepts` is what is decided
 * before any cryptography (a signature of the wrong length is refused),
 * `args` what node:crypto is given.
 */
function curveChecks(accepts: (signature: Buffer) => boolean, args: (input: string, signature: Buffer) => VerifyArguments): CheckPair {
  return {
    check: (input, segment) => {
      const signature = decoded(segment);
      return accepts(signature) && verify(...args(input, signature));
    },
    pooled: (input, segment) => {
      const signature = decoded(segment);
      return accepts(signature) ? verifyOnPool(...args(input, signature)) : Promise.resolve(false);
    },
  };
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

/** The signature checks of `alg` with `key`; call only once {@link keyProblem} found none. */
function signatureChecks(key: KeyObject, alg: JwsAlgorithm): CheckPair {
  const spec: JwsAlgorithmSpec = JWS_ALGORITHMS[alg];
  const data = (input: string) => Buffer.from(input, 'latin1');
  switch (spec.family) {
    case 'hmac':
      return { check: hmacCheck(spec.hash, key.export()) };
    case 'rsa':
    case 'rsa-pss': {
      const { hash } = spec;
      const options =
        spec.family === 'rsa'
          ? { key, padding: constants.RSA_PKCS1_PADDING }
          : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength };
      return { check: (input, signature) => verify(hash, data(input), options, decoded(signature)) };
    }
    case 'ecdsa': {
      const { hash, signatureBytes } = spec;
      // IEEE P1363 (R || S), the JWS form; a DER signature or one of any other length is refused.
      const options = { key, dsaEncoding: 'ieee-p1363' as const };
      return curveChecks(
        (signature) => signature.length === signatureBytes,
        (input, signature) => [hash, data(input), options, signature],
      );
    }
    case 'eddsa':
      return curveChecks(
        (signature) => signature.length === 64,
        (input, signature) => [null, data(input), key, signature],
      );
  }
}

/**
 * Binds `key` to `algorithms`. Returns the sentence that says why when one
 * of them cannot be verified with this key (wrong type, curve or size), so
 * a configuration that could be confused is refused before any token.
 */
export function bindKey(key: KeyObject, algorithms: readonly JwsAlgorithm[]): BoundKey | string {
  const checks = new Map<string, SignatureCheck>();
  const pooled = new Map<string, PooledSignatureCheck>();
  for (const alg of algorithms) {
    const problem = keyProblem(key, alg);
    if (problem !== undefined) return problem;
    const pair = signatureChecks(key, alg);
    checks.set(alg, pair.check);
    if (pair.pooled !== undefined) pooled.set(alg, pair.pooled);
  }
  return { checks, pooled };
}
