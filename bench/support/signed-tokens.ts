import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { uuid } from './ids.js';

/** The algorithms the never-seen-token benchmarks compare, one per key family. */
export const BENCH_ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

export const BENCH_SECRET = 'benchmark-secret-of-at-least-32-bytes!';

export interface BenchKey {
  readonly alg: BenchAlgorithm;
  /** What the verifiers are given: the secret, or the public key. */
  readonly verifyKey: KeyObject | string;
  /** The same as PEM text, for the libraries that take text. */
  readonly verifyText: string;
  readonly signKey: KeyObject | string;
}

export function benchKey(alg: BenchAlgorithm): BenchKey {
  if (alg === 'HS256') return { alg, verifyKey: BENCH_SECRET, verifyText: BENCH_SECRET, signKey: BENCH_SECRET };
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return {
    alg,
    verifyKey: pair.publicKey,
    verifyText: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    signKey: pair.privateKey,
  };
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

function signature(key: BenchKey, input: string): Buffer {
  const data = Buffer.from(input, 'latin1');
  switch (key.alg) {
    case 'HS256':
      return createHmac('sha256', key.signKey as string)
        .update(data)
        .digest();
    case 'RS256':
      return sign('sha256', data, { key: key.signKey as KeyObject, padding: constants.RSA_PKCS1_PADDING });
    case 'ES256':
      return sign('sha256', data, { key: key.signKey as KeyObject, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, key.signKey as KeyObject);
  }
}

/**
 * A token as an identity provider issues it: `typ`, a fresh `jti`, the
 * user's `sub` and `sid`, `iat` and `exp`. Signed directly with node:crypto,
 * so pre-signing 100,000 of them takes seconds, not minutes.
 */
export function signToken(key: BenchKey, claims: { sub: string; sid?: string; iat: number; exp: number; jti?: string }): string {
  const header = b64(JSON.stringify({ alg: key.alg, typ: 'JWT' }));
  const payload = b64(
    JSON.stringify({
      jti: claims.jti ?? uuid(),
      sub: claims.sub,
      sid: claims.sid ?? `session-${claims.sub}`,
      iat: claims.iat,
      exp: claims.exp,
    }),
  );
  const input = `${header}.${payload}`;
  return `${input}.${b64(signature(key, input))}`;
}

/** `count` distinct tokens valid for an hour. */
export function signTokens(key: BenchKey, count: number): string[] {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => signToken(key, { sub: `user-${i}`, iat: now, exp: now + 3600 }));
}
