import type { HmacHash } from './hmac.js';

/**
 * What each JWS algorithm (RFC 7518, RFC 8037) needs from its key and how
 * node:crypto checks it. The one table the key binding and the signature
 * checks read; `none` is not in it.
 */
export type JwsAlgorithmSpec =
  /** HMAC: the secret must be at least as long as the hash output (RFC 7518 section 3.2). */
  | { readonly family: 'hmac'; readonly hash: HmacHash; readonly minSecretBytes: number }
  /** RSASSA-PKCS1-v1_5 and RSASSA-PSS (salt as long as the hash): at least 2048-bit keys (RFC 7518 sections 3.3, 3.5). */
  | { readonly family: 'rsa' | 'rsa-pss'; readonly hash: string; readonly saltLength: number }
  /** ECDSA on one named curve; the signature is R || S, each exactly as long as the curve order (RFC 7518 section 3.4). */
  | { readonly family: 'ecdsa'; readonly hash: string; readonly curve: string; readonly signatureBytes: number }
  /** EdDSA on Ed25519 (RFC 8037); "Ed25519" is the fully specified name of the same algorithm. */
  | { readonly family: 'eddsa' };

/** RSA keys shorter than this are refused, as RFC 7518 and jose require. */
export const MIN_RSA_BITS = 2048;

export const JWS_ALGORITHMS = {
  HS256: { family: 'hmac', hash: 'sha256', minSecretBytes: 32 },
  HS384: { family: 'hmac', hash: 'sha384', minSecretBytes: 48 },
  HS512: { family: 'hmac', hash: 'sha512', minSecretBytes: 64 },
  RS256: { family: 'rsa', hash: 'sha256', saltLength: 0 },
  RS384: { family: 'rsa', hash: 'sha384', saltLength: 0 },
  RS512: { family: 'rsa', hash: 'sha512', saltLength: 0 },
  PS256: { family: 'rsa-pss', hash: 'sha256', saltLength: 32 },
  PS384: { family: 'rsa-pss', hash: 'sha384', saltLength: 48 },
  PS512: { family: 'rsa-pss', hash: 'sha512', saltLength: 64 },
  ES256: { family: 'ecdsa', hash: 'sha256', curve: 'prime256v1', signatureBytes: 64 },
  ES384: { family: 'ecdsa', hash: 'sha384', curve: 'secp384r1', signatureBytes: 96 },
  ES512: { family: 'ecdsa', hash: 'sha512', curve: 'secp521r1', signatureBytes: 132 },
  EdDSA: { family: 'eddsa' },
  Ed25519: { family: 'eddsa' },
} as const satisfies Record<string, JwsAlgorithmSpec>;

export type JwsAlgorithm = keyof typeof JWS_ALGORITHMS;

export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.hasOwn(JWS_ALGORITHMS, value);
}
