import type { JWK } from 'jose';
import type { KeyObject, webcrypto } from 'node:crypto';
import type { Registry } from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_REQUIRED_CLAIMS,
  RevocastError,
  SUPPORTED_ALGORITHMS,
  type TokenRevokedError,
  createSignatureVerifier,
  createVerifier,
  type Algorithm,
  type ErrorCode,
  type Logger,
  type RedisClient,
  type RevocationClaims,
  type RevocationReason,
  type SyncSource,
  type SyncState,
  type TokenCacheOptions,
  type VerificationKey,
  type VerifiedClaims,
  type Verifier,
  type VerifierOptions,
  type VerifierStatus,
} from '@revocast/verifier-sdk';
import type { RevocationType } from '@revocast/verifier-sdk/protocol';

// The verifier's public types, as a user's code sees them. Each expectation is exact: a field added, removed,
// renamed, made optional or widened fails `npm test` (vitest typechecks this file), so every change to what
// users compile against is made on purpose, here and in the API report.

describe('createVerifier', () => {
  it('takes VerifierOptions and returns a Verifier', () => {
    expectTypeOf(createVerifier).parameters.toEqualTypeOf<[VerifierOptions]>();
    expectTypeOf(createVerifier).returns.toEqualTypeOf<Verifier>();
  });

  it('requires only algorithms; every other option is optional and read-only', () => {
    expectTypeOf<VerifierOptions>().toEqualTypeOf<{
      readonly redis?: string | RedisClient;
      readonly source?: SyncSource;
      readonly keyPrefix?: string;
      readonly key?: VerificationKey;
      readonly jwksUri?: string | URL;
      readonly algorithms: readonly string[];
      readonly issuer?: string | readonly string[];
      readonly audience?: string | readonly string[];
      readonly clockTolerance?: number;
      readonly requiredClaims?: readonly string[];
      readonly maxStaleness?: number;
      readonly failOpen?: boolean;
      readonly pollInterval?: number;
      readonly commandTimeout?: number;
      readonly maxTokenLength?: number;
      readonly threadPool?: boolean;
      readonly id?: string;
      readonly heartbeatInterval?: number;
      readonly registry?: Registry;
      readonly logger?: Logger;
      readonly tokenCache?: false | TokenCacheOptions;
      readonly clock?: () => number;
    }>();
    expectTypeOf<{ algorithms: ['HS256']; key: string; redis: string }>().toExtend<VerifierOptions>();
    expectTypeOf<{ key: string; redis: string }>().not.toExtend<VerifierOptions>();
  });

  it('bounds the verified-token cache by entries and bytes, or turns it off with false', () => {
    expectTypeOf<TokenCacheOptions>().toEqualTypeOf<{ readonly maxEntries?: number; readonly maxBytes?: number }>();
  });

  it('accepts a JWK, a KeyObject, a CryptoKey, or an HMAC secret as bytes or text', () => {
    expectTypeOf<VerificationKey>().toEqualTypeOf<JWK | KeyObject | webcrypto.CryptoKey | Uint8Array | string>();
  });

  it('names every algorithm it supports, and none', () => {
    expectTypeOf<Algorithm>().toEqualTypeOf<
      | 'HS256'
      | 'HS384'
      | 'HS512'
      | 'RS256'
      | 'RS384'
      | 'RS512'
      | 'PS256'
      | 'PS384'
      | 'PS512'
      | 'ES256'
      | 'ES384'
      | 'ES512'
      | 'EdDSA'
      | 'Ed25519'
    >();
    expectTypeOf(SUPPORTED_ALGORITHMS).toEqualTypeOf<readonly Algorithm[]>();
  });

  it('exports its defaults as plain values', () => {
    expectTypeOf<typeof DEFAULT_CLOCK_TOLERANCE>().toEqualTypeOf<5>();
    expectTypeOf(DEFAULT_REQUIRED_CLAIMS).toEqualTypeOf<readonly string[]>();
  });
});

describe('Verifier', () => {
  it('verifies tokens asynchronously, claims and revocation synchronously', () => {
    expectTypeOf<Verifier['ready']>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<Verifier['verify']>().toEqualTypeOf<(token: string) => Promise<VerifiedClaims>>();
    expectTypeOf<Verifier['verifyClaims']>().toEqualTypeOf<(claims: unknown) => VerifiedClaims>();
    expectTypeOf<Verifier['isRevoked']>().toEqualTypeOf<(claims: RevocationClaims) => boolean>();
    expectTypeOf<Verifier['close']>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<Verifier['status']>().toEqualTypeOf<VerifierStatus>();
    expectTypeOf<keyof Verifier>().toEqualTypeOf<'ready' | 'verify' | 'verifyClaims' | 'isRevoked' | 'status' | 'close'>();
  });

  it('asks isRevoked about any claims, typed or not', () => {
    expectTypeOf<RevocationClaims>().toEqualTypeOf<{
      readonly jti?: unknown;
      readonly sub?: unknown;
      readonly sid?: unknown;
      readonly iat?: unknown;
      readonly exp?: unknown;
      readonly nbf?: unknown;
    }>();
    expectTypeOf<VerifiedClaims>().toExtend<RevocationClaims>();
  });

  it('resolves claims with the registered ones typed and the rest unknown', () => {
    expectTypeOf<VerifiedClaims>().toEqualTypeOf<{
      iss?: string;
      sub?: string;
      aud?: string | string[];
      jti?: string;
      sid?: string;
      exp?: number;
      nbf?: number;
      iat?: number;
      [claim: string]: unknown;
    }>();
  });
});

describe('VerifierStatus', () => {
  it('tells the sync state, the position, the last confirmation and the live entries per type', () => {
    expectTypeOf<VerifierStatus>().toEqualTypeOf<{
      readonly id: string;
      readonly state: SyncState;
      readonly epoch: string | null;
      readonly offset: number;
      readonly lastSyncAt: Date | null;
      readonly stale: boolean;
      readonly entries: Readonly<Record<RevocationType, number>>;
    }>();
    expectTypeOf<SyncState>().toEqualTypeOf<'starting' | 'ready' | 'stale' | 'closed'>();
  });
});

describe('RevocastError', () => {
  it('carries one of the documented codes, an HTTP status and the cause', () => {
    expectTypeOf<ErrorCode>().toEqualTypeOf<
      | 'ERR_TOKEN_MISSING'
      | 'ERR_TOKEN_INVALID'
      | 'ERR_TOKEN_EXPIRED'
      | 'ERR_TOKEN_REVOKED'
      | 'ERR_LIST_STALE'
      | 'ERR_KEYS_UNAVAILABLE'
      | 'ERR_INVALID_OPTIONS'
    >();
    expectTypeOf<RevocastError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<RevocastError['status']>().toEqualTypeOf<number>();
    expectTypeOf<RevocastError>().toExtend<Error>();
    expectTypeOf(RevocastError).constructorParameters.toEqualTypeOf<
      [code: ErrorCode, status: number, message: string, options?: { cause?: unknown }]
    >();
  });

  it('says which revocation matched when a token is revoked', () => {
    expectTypeOf<TokenRevokedError>().toExtend<RevocastError>();
    expectTypeOf<TokenRevokedError['reason']>().toEqualTypeOf<RevocationReason>();
    expectTypeOf<RevocationReason>().toEqualTypeOf<'jti' | 'subject' | 'session'>();
  });
});

describe('createSignatureVerifier', () => {
  it('checks signatures alone, with the same key options as createVerifier', () => {
    type Options = Parameters<typeof createSignatureVerifier>[0];
    expectTypeOf<Options>().toEqualTypeOf<{
      readonly key?: VerificationKey;
      readonly jwksUri?: string | URL;
      readonly algorithms: readonly string[];
      readonly maxTokenLength?: number;
      readonly threadPool?: boolean;
    }>();
    expectTypeOf<Pick<VerifierOptions, keyof Options>>().toEqualTypeOf<Options>();
    expectTypeOf(createSignatureVerifier).returns.toEqualTypeOf<{
      ready(): Promise<void>;
      verify(token: unknown): Record<string, unknown> | Promise<Record<string, unknown>>;
      keyVersion(): number;
    }>();
  });
});
