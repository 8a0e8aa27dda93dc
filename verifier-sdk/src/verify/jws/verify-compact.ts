import { KeyObject, createSecretKey } from 'node:crypto';
import { isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { bindKey, type BoundKey, type PooledSignatureCheck, type SignatureCheck } from './bind-key.js';
import { splitCompact } from './compact-token.js';
import { JwsError } from './jws-error.js';
import { isJsonObject, parseJsonSegment } from './json-segment.js';
import { HeaderCache, type ProtectedHeader } from './protected-header.js';

/** A JWS whose signature verified and whose payload is a JSON object: a JWT claims set, not yet checked. */
export interface VerifiedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Record<string, unknown>;
}

/** Checks a compact JWS's signature with a key bound when it was loaded; synchronous. */
export type StaticJwsVerifier = (token: string) => VerifiedJws;

/** The same, with the signature checked on libuv's thread pool. */
export type PooledJwsVerifier = (token: string) => Promise<VerifiedJws>;

/** Checks a compact JWS's signature with the key a key set picks for its header. */
export type KeySetJwsVerifier = (token: string) => Promise<VerifiedJws>;

/** Picks the key for a header: jose's `createRemoteJWKSet`, or any function of that shape. */
export type KeyLookup = (
  header: Readonly<Record<string, unknown>>,
  token: { readonly payload: string; readonly signature: string; readonly protected: string },
) => Promise<unknown>;

interface Parsed {
  readonly parts: { readonly headerEnd: number; readonly payloadEnd: number };
  readonly header: ProtectedHeader;
}

/** Structure, protected header and `alg`, in jose's order. */
function parse(token: string, headers: HeaderCache, allowed: ReadonlySet<string> | ReadonlyMap<string, unknown>): Parsed {
  const parts = splitCompact(token);
  if (parts === undefined) throw new JwsError('malformed', 'token is not a JWS in compact serialisation (unpadded base64url segments)');
  const header = headers.parse(token.slice(0, parts.headerEnd));
  if (!allowed.has(header.alg))
    throw new JwsError('alg-not-allowed', `token is invalid: "alg" ${JSON.stringify(header.alg)} is not allowed`);
  return { parts, header };
}

/** The signature segment and what it signs. */
function signed(token: string, { parts }: Parsed): { readonly input: string; readonly signature: string } {
  return { input: token.slice(0, parts.payloadEnd), signature: token.slice(parts.payloadEnd + 1) };
}

// node:crypto throws on some malformed signatures (an RSA one longer than the modulus); jose reports those as failures too.
const signatureFailed = (cause: unknown) => new JwsError('bad-signature', 'token signature is invalid', { cause });

/** After the signature was checked, the payload: jose looks at it only once the signature verified. */
function payloadOf(token: string, { parts, header }: Parsed, verified: boolean): VerifiedJws {
  if (!verified) throw new JwsError('bad-signature', 'token signature is invalid');
  if (!header.b64) throw new JwsError('not-a-jwt', 'token is invalid: a JWT must not use an unencoded payload ("b64": false)');
  const payload = parseJsonSegment(token.slice(parts.headerEnd + 1, parts.payloadEnd));
  if (!isJsonObject(payload)) throw new JwsError('not-a-jwt', 'token is invalid: the claims set is not a JSON object');
  return { header: header.header, payload };
}

/** Signature, then payload, on the event loop. */
function finish(token: string, parsed: Parsed, check: SignatureCheck): VerifiedJws {
  const { input, signature } = signed(token, parsed);
  let verified: boolean;
  try {
    verified = check(input, signature);
  } catch (cause) {
    throw signatureFailed(cause);
  }
  return payloadOf(token, parsed, verified);
}

/**
 * The signature core for a fixed key: every step synchronous, node:crypto
 * on KeyObjects. The algorithms are those `key` was bound to.
 *
 * @example
 * ```ts
 * const bound = bindKey(createSecretKey(secret), ['HS256']);
 * const verifyJws = createStaticJwsVerifier(bound);
 * const { payload } = verifyJws(token); // throws JwsError
 * ```
 */
export function createStaticJwsVerifier(key: BoundKey, headers = new HeaderCache()): StaticJwsVerifier {
  const { checks } = key;
  return (token) => {
    const parsed = parse(token, headers, checks);
    return finish(token, parsed, checks.get(parsed.header.alg) as SignatureCheck);
  };
}

/**
 * The same core with the signature checked on libuv's thread pool; the
 * parsing and the payload stay on the event loop, in the same order, with
 * the same errors. `undefined` for a secret (HMAC has no pooled check).
 * `headers` may be shared with the key's {@link createStaticJwsVerifier}.
 */
export function createPooledJwsVerifier(key: BoundKey, headers = new HeaderCache()): PooledJwsVerifier | undefined {
  if (key.pooled.size === 0) return undefined;
  const { pooled } = key;
  return (token) => {
    let parsed: Parsed;
    let work: Promise<boolean>;
    try {
      parsed = parse(token, headers, pooled);
      const { input, signature } = signed(token, parsed);
      work = (pooled.get(parsed.header.alg) as PooledSignatureCheck)(input, signature);
    } catch (err) {
      return Promise.reject(err);
    }
    return work.then(
      (verified) => payloadOf(token, parsed, verified),
      (cause: unknown) => {
        throw signatureFailed(cause);
      },
    );
  };
}

function toKeyObject(key: unknown): KeyObject {
  if (key instanceof KeyObject) return key;
  if (key instanceof Uint8Array) return createSecretKey(key);
  return KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
}

/**
 * The signature core for a key set: jose's lookup picks the key (kid, kty,
 * cooldown, caching), then the key is converted to a KeyObject and bound to
 * the token's algorithm once per key object, and checked synchronously.
 * Errors of the lookup (no matching key, key set unavailable) are thrown as
 * they come, for the caller to map.
 */
export function createKeySetJwsVerifier(algorithms: readonly string[], lookup: KeyLookup): KeySetJwsVerifier {
  const headers = new HeaderCache();
  const allowed = new Set(algorithms.filter(isJwsAlgorithm));
  // By key identity: jose hands out the same CryptoKey for a JWK and algorithm until the set is fetched again.
  const bound = new WeakMap<object, Map<string, SignatureCheck | string>>();

  function checkFor(key: unknown, alg: string): SignatureCheck {
    if (typeof key !== 'object' || key === null) throw new JwsError('key-unusable', 'token is invalid: the key set returned no usable key');
    let byAlg = bound.get(key);
    if (byAlg === undefined) {
      byAlg = new Map();
      bound.set(key, byAlg);
    }
    let check = byAlg.get(alg);
    if (check === undefined) {
      // `alg` is in `allowed`, so it is a JWS algorithm.
      const result = bindKey(toKeyObject(key), [alg as JwsAlgorithm]);
      check = typeof result === 'string' ? result : (result.checks.get(alg) as SignatureCheck);
      byAlg.set(alg, check);
    }
    if (typeof check === 'string') throw new JwsError('key-unusable', `token is invalid: the key set's key cannot be used: ${check}`);
    return check;
  }

  return async (token) => {
    const parsed = parse(token, headers, allowed);
    const { headerEnd, payloadEnd } = parsed.parts;
    const key = await lookup(parsed.header.header, {
      protected: token.slice(0, headerEnd),
      payload: token.slice(headerEnd + 1, payloadEnd),
      signature: token.slice(payloadEnd + 1),
    });
    return finish(token, parsed, checkFor(key, parsed.header.alg));
  };
}
