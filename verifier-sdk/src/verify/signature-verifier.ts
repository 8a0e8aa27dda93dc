import { errors as joseErrors } from 'jose';
import { RevocastError, tokenInvalid } from '../errors.js';
import { checkAlgorithms, resolveKey, type ResolvedKey, type VerificationKey } from './key-material.js';
import { PoolGate } from './pool-gate.js';

/** Options of {@link createSignatureVerifier}. */
export interface SignatureVerifierOptions {
  /** Public JWK, KeyObject, CryptoKey, or HMAC secret (string or bytes, at least as long as the hash). */
  readonly key?: VerificationKey;
  /** URL of a JSON Web Key Set, instead of `key`. */
  readonly jwksUri?: string | URL;
  /** Allowed JWS algorithms; each must fit the key (type, curve, size). */
  readonly algorithms: readonly string[];
  /** Longest token accepted, in characters. Default 8192. */
  readonly maxTokenLength?: number;
  /** Whether elliptic-curve checks (ES*, EdDSA) may go to libuv's thread pool when many are outstanding at once (see `createVerifier`). Default true. */
  readonly threadPool?: boolean;
}

/** Checks the signature of compact JWTs; the claims are for a claims validator to judge. */
export interface SignatureVerifier {
  /** Resolves once the key is loaded and bound; rejects with `ERR_INVALID_OPTIONS` when it cannot be. */
  ready(): Promise<void>;
  /**
   * The payload (a JSON object) of a token whose signature checks out.
   * Synchronous once ready with a fixed key; a promise with a key set,
   * before the key is loaded, or when an elliptic-curve check goes to the
   * thread pool (many outstanding at once, see `threadPool`). Throws or rejects with a {@link RevocastError}:
   * `ERR_TOKEN_INVALID`, `ERR_KEYS_UNAVAILABLE` or `ERR_INVALID_OPTIONS`.
   */
  verify(token: unknown): Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Which keys a verification uses: 0 for a fixed key, the fetch count of
   * the key set, -1 while that is unknown or the set is due for a refresh.
   */
  keyVersion(): number;
}

const DEFAULT_MAX_TOKEN_LENGTH = 8192;

function keysUnavailable(cause: unknown): RevocastError {
  return new RevocastError('ERR_KEYS_UNAVAILABLE', 503, 'the JSON Web Key Set could not be fetched', { cause });
}

/**
 * The signature check every part of Revocast uses (`createVerifier`, the
 * service's `/oauth2/introspect`): node:crypto on KeyObjects, synchronous
 * (elliptic curves on the thread pool when many are outstanding, see
 * {@link PoolGate}), the algorithm bound to the key when it is loaded. jose
 * loads JWKs and fetches, caches and selects from a key set.
 *
 * @example
 * ```ts
 * const signatures = createSignatureVerifier({ key: publicJwk, algorithms: ['ES256'] });
 * await signatures.ready();
 * const payload = signatures.verify(token); // then judge it with createClaimsValidator
 * ```
 */
export function createSignatureVerifier(options: SignatureVerifierOptions): SignatureVerifier {
  const algorithms = checkAlgorithms(options.algorithms);
  const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  // Loaded once; a refused key is reported by ready() and by every verify().
  const keyPromise = resolveKey(options.key, options.jwksUri, algorithms);
  keyPromise.catch(() => {});
  let resolved: ResolvedKey | undefined;
  void keyPromise.then(
    (key) => (resolved = key),
    () => {},
  );

  function checkToken(token: unknown): asserts token is string {
    if (typeof token !== 'string' || token.length === 0) throw tokenInvalid('token is missing or not a string');
    if (token.length > maxTokenLength) throw tokenInvalid(`token is longer than ${maxTokenLength} characters`);
  }

  async function withKeySet(key: Extract<ResolvedKey, { kind: 'jwks' }>, token: string): Promise<Record<string, unknown>> {
    try {
      return (await key.verify(token)).payload;
    } catch (err) {
      if (err instanceof RevocastError) throw err;
      if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) throw keysUnavailable(err);
      // No key for this kid or alg, several, an alg the set cannot serve: the token's problem.
      if (err instanceof joseErrors.JOSEError) throw tokenInvalid(`token is invalid: ${err.message}`, err);
      // Outside jose's own errors, a key set that cannot be fetched is the likely cause.
      throw keysUnavailable(err);
    }
  }

  // Shared by every verification of this verifier: what is outstanding is counted across them all.
  const gate = options.threadPool === false ? undefined : new PoolGate();

  function withStaticKey(key: Extract<ResolvedKey, { kind: 'static' }>, token: string) {
    const { pooled } = key;
    if (pooled === undefined || gate === undefined || !gate.wanted()) return key.verify(token).payload;
    return gate.run(() => pooled(token)).then(({ payload }) => payload);
  }

  async function later(token: string): Promise<Record<string, unknown>> {
    const key = await keyPromise;
    return key.kind === 'static' ? withStaticKey(key, token) : withKeySet(key, token);
  }

  return {
    async ready() {
      await keyPromise;
    },
    verify(token) {
      checkToken(token);
      const key = resolved;
      if (key === undefined) return later(token);
      return key.kind === 'static' ? withStaticKey(key, token) : withKeySet(key, token);
    },
    keyVersion() {
      const key = resolved;
      if (key === undefined) return -1;
      if (key.kind === 'static') return 0;
      return key.fresh() ? key.version() : -1;
    },
  };
}
