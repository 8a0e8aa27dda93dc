import { RevocastError } from '../../errors.js';

/**
 * Why a compact JWS was refused, one value per class of jose error, so the
 * differential tests can hold the two implementations to the same verdicts:
 *
 * - `malformed`: not three canonical base64url segments, a header that is not
 *   a JSON object, a bad `crit` or `b64`, no `alg` (jose: `JWSInvalid`).
 * - `unsupported`: `crit` names an extension this verifier does not
 *   understand (jose: `JOSENotSupported`).
 * - `alg-not-allowed`: the header's `alg` is not one the key was bound to
 *   (jose: `JOSEAlgNotAllowed`).
 * - `bad-signature`: the signature does not verify (jose: `JWSSignatureVerificationFailed`).
 * - `not-a-jwt`: the signature verified, but the payload is unencoded
 *   (`b64: false`) or not a JSON object (jose: `JWTInvalid`).
 * - `key-unusable`: the key a key set chose cannot verify this algorithm, for
 *   example an RSA key under 2048 bits (jose: a `TypeError`).
 */
export type JwsFailure = 'malformed' | 'unsupported' | 'alg-not-allowed' | 'bad-signature' | 'not-a-jwt' | 'key-unusable';

/** A token refused by the signature layer: always `ERR_TOKEN_INVALID`, with the finer reason for tests and logs. */
export class JwsError extends RevocastError {
  readonly reason: JwsFailure;

  constructor(reason: JwsFailure, message: string, options?: { cause?: unknown }) {
    super('ERR_TOKEN_INVALID', 401, message, options);
    this.name = 'JwsError';
    this.reason = reason;
  }
}
