import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';

/**
 * Wycheproof's JSON Web Signature vectors (test/vectors/wycheproof) and
 * what Revocast decides differently on purpose, shared by the test of
 * `verify()` and the test of the JWS core.
 */

export interface Vector {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly jws: string;
  readonly result: 'valid' | 'invalid' | 'acceptable';
}

export interface Group {
  readonly comment: string;
  readonly public?: JWK;
  readonly private?: JWK;
  readonly tests: readonly Vector[];
}

export interface VectorFile {
  readonly numberOfTests: number;
  readonly testGroups: readonly Group[];
}

export const file = JSON.parse(
  readFileSync(new URL('../vectors/wycheproof/json_web_signature_test.json', import.meta.url), 'utf8'),
) as VectorFile;

/** Where the verifier stopped a vector. */
export type Verdict =
  /** `createVerifier` refused the key: no token can pass. */
  | 'key refused'
  /** Refused before the claims: structure, algorithm, key or signature. */
  | 'rejected by signature layer'
  /** The signature verified; refused only because the payload is not a JWT claims set. */
  | 'signature verified'
  | 'accepted';

/**
 * Valid vectors the verifier refuses on purpose, each with the reason. The
 * test fails if one of them starts passing, so the list stays honest.
 */
export const STRICTER_THAN_WYCHEPROOF: Readonly<Record<number, string>> = {
  346: 'signed with PS384 by a key whose JWK says "alg": "PS256"; the allow-list holds the key\'s algorithm only',
  350: 'signed with PS384 by a key whose JWK says "alg": "PS256"; the allow-list holds the key\'s algorithm only',
  347: 'the JWK says "alg": "ES521", which is not a JWS algorithm: the verifier refuses the key',
  351: 'the JWK says "alg": "ES521", which is not a JWS algorithm: the verifier refuses the key',
  372: 'a "?" inside the base64url header: the signing input is taken as sent, so the MAC does not match',
  373: 'a "?" inside the base64url payload: the signing input is taken as sent, so the MAC does not match',
};

/**
 * Invalid vectors whose text is byte for byte a valid vector of the same
 * group (the padding they are named after is not in the file). No verifier can
 * tell them apart from the valid one; the test checks they really are
 * identical, so a corrected file makes them ordinary invalid vectors again.
 */
export const IDENTICAL_TO_VALID: Readonly<Record<number, number>> = { 367: 357, 370: 357 };

/** The allow-list for a group: the key's algorithm, or the usual one for its type when it names none or an unknown one. */
export function algorithmsFor(key: JWK): string[] {
  const supported = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
  if (key.alg !== undefined && supported.includes(key.alg)) return [key.alg];
  if (key.kty === 'oct') return ['HS256'];
  if (key.kty === 'EC') return [{ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[key.crv ?? ''] ?? 'ES256'];
  return ['RS256'];
}
