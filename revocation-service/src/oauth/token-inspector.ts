import { DEFAULT_CLOCK_TOLERANCE, DEFAULT_REQUIRED_CLAIMS, RevocastError, createClaimsValidator, type VerifiedClaims } from '@revocast/verifier-sdk';
import { createRemoteJWKSet, errors, importJWK, importSPKI, jwtVerify, type JWK, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { ConfigError, type TokenKeyConfig } from '../config.js';

/** The claims of a token whose signature and claims checked out, by the verifiers' claim rules. */
export type InspectedClaims = VerifiedClaims;

/**
 * What the token is inspected for. `introspect` applies every rule a
 * verifier with default options applies, required claims included, so a
 * token is active here exactly when verifiers accept it. `revoke` does not
 * require claims: a token without a `jti` may still name a session to revoke.
 */
export type InspectionUse = 'introspect' | 'revoke';

export type Inspection =
  | { readonly ok: true; readonly claims: InspectedClaims }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid' };

/** Verifies tokens handed to the OAuth endpoints with the verifiers' key material. */
export interface TokenInspector {
  /** Resolves once the key material is imported; rejects with a {@link ConfigError} when it cannot be. */
  ready(): Promise<void>;
  inspect(token: string, use?: InspectionUse): Promise<Inspection>;
}

/** The JSON Web Key Set could not be fetched: no answer about the token can be given. */
export class KeysUnavailableError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the JSON Web Key Set could not be fetched', options);
    this.name = 'KeysUnavailableError';
  }
}

const MAX_TOKEN_LENGTH = 8192;

async function importKey(config: TokenKeyConfig): Promise<JWTVerifyGetKey | Uint8Array> {
  if (config.secret !== undefined) return new TextEncoder().encode(config.secret);
  if (config.jwksUri !== undefined) return createRemoteJWKSet(new URL(config.jwksUri));
  const text = (config.publicKey as string).trim();
  const byAlg = new Map<string, Awaited<ReturnType<typeof importJWK>>>();
  for (const alg of config.algorithms) {
    try {
      if (text.startsWith('{')) {
        const jwk = JSON.parse(text) as JWK;
        if (jwk.d !== undefined || jwk.kty === 'oct') throw new Error('give the public JWK, not a private or symmetric one');
        byAlg.set(alg, await importJWK(jwk, alg));
      } else {
        byAlg.set(alg, await importSPKI(text, alg));
      }
    } catch (err) {
      throw new ConfigError('REVOCAST_JWT_PUBLIC_KEY', `cannot be used for ${alg}: ${(err as Error).message}`);
    }
  }
  return async (header) => {
    const key = byAlg.get(header.alg ?? '');
    if (key === undefined) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
    return key;
  };
}

/**
 * Checks signature and algorithm with jose, then the claims with the SDK's
 * claims validator, with the verifiers' default tolerance and required
 * claims: exactly as a verifier configured with the same keys would. Keys
 * are never taken from the token itself.
 */
export function createTokenInspector(config: TokenKeyConfig, clock: () => number = Date.now, customClock = false): TokenInspector {
  const keyPromise = importKey(config);
  keyPromise.catch(() => {});
  const options: JWTVerifyOptions = { algorithms: [...config.algorithms], clockTolerance: DEFAULT_CLOCK_TOLERANCE };
  const rules = { clockTolerance: DEFAULT_CLOCK_TOLERANCE, issuer: config.issuer, audience: config.audience, clock };
  const validators = {
    introspect: createClaimsValidator({ ...rules, requiredClaims: DEFAULT_REQUIRED_CLAIMS }),
    revoke: createClaimsValidator({ ...rules, requiredClaims: [] }),
  };
  return {
    ready: async () => {
      await keyPromise;
    },
    async inspect(token, use = 'introspect') {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
      const key = await keyPromise;
      const verifyOptions = customClock ? { ...options, currentDate: new Date(clock()) } : options;
      try {
        const { payload } = typeof key === 'function' ? await jwtVerify(token, key, verifyOptions) : await jwtVerify(token, key, verifyOptions);
        return { ok: true, claims: validators[use](payload) };
      } catch (err) {
        if (err instanceof RevocastError) return { ok: false, reason: err.code === 'ERR_TOKEN_EXPIRED' ? 'expired' : 'invalid' };
        if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
        if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) throw new KeysUnavailableError({ cause: err });
        if (err instanceof errors.JOSEError || err instanceof TypeError) return { ok: false, reason: 'invalid' };
        throw err;
      }
    },
  };
}
