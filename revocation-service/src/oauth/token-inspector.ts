import { createPublicKey } from 'node:crypto';
import {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_REQUIRED_CLAIMS,
  RevocastError,
  createClaimsValidator,
  createSignatureVerifier,
  type SignatureVerifier,
  type SignatureVerifierOptions,
  type VerifiedClaims,
} from '@revocast/verifier-sdk';
import type { JWK } from 'jose';
import { ConfigError } from '../config/config-error.js';
import type { TokenKeyConfig } from '../config/token-keys.js';
import { ServiceError } from '../errors.js';

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
export class KeysUnavailableError extends ServiceError<'ERR_KEYS_UNAVAILABLE'> {
  constructor(options?: { cause?: unknown }) {
    super('ERR_KEYS_UNAVAILABLE', 'the JSON Web Key Set could not be fetched', options);
  }
}

/**
 * The key options of the SDK's signature verifier for the configured key:
 * the secret as it is, the key set by URL, a public JWK parsed (jose imports
 * it), a PEM public key (SPKI) as a KeyObject. The SDK then binds the key
 * to the algorithms, with the verifiers' rules.
 */
function keyOptions(config: TokenKeyConfig): Pick<SignatureVerifierOptions, 'key' | 'jwksUri'> {
  if (config.secret !== undefined) return { key: config.secret };
  if (config.jwksUri !== undefined) return { jwksUri: config.jwksUri };
  const text = (config.publicKey as string).trim();
  try {
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as JWK;
      if (jwk.d !== undefined || jwk.kty === 'oct') throw new Error('give the public JWK, not a private or symmetric one');
      return { key: jwk };
    }
    if (!text.startsWith('-----BEGIN PUBLIC KEY-----'))
      throw new Error('give a public JWK or a PEM public key (-----BEGIN PUBLIC KEY-----)');
    return { key: createPublicKey(text) };
  } catch (err) {
    throw new ConfigError('REVOCAST_JWT_PUBLIC_KEY', `cannot be used: ${(err as Error).message}`);
  }
}

/** The variable that holds the key, for a key the SDK refuses. */
function keyVariable(config: TokenKeyConfig): string {
  if (config.secret !== undefined) return 'REVOCAST_JWT_SECRET';
  return config.jwksUri !== undefined ? 'REVOCAST_JWKS_URI' : 'REVOCAST_JWT_PUBLIC_KEY';
}

/**
 * Checks signature and algorithm with the SDK's signature verifier, then the
 * claims with the SDK's claims validator, with the verifiers' default
 * tolerance, required claims and token length: exactly as a verifier
 * configured with the same keys would. Keys are never taken from the token.
 */
export function createTokenInspector(config: TokenKeyConfig, clock: () => number = Date.now): TokenInspector {
  let signatures: SignatureVerifier;
  let keyProblem: ConfigError | undefined;
  try {
    signatures = createSignatureVerifier({ algorithms: config.algorithms, ...keyOptions(config) });
  } catch (err) {
    keyProblem = err instanceof ConfigError ? err : new ConfigError(keyVariable(config), `cannot be used: ${(err as Error).message}`);
    signatures = { ready: () => Promise.reject(keyProblem), verify: () => Promise.reject(keyProblem), keyVersion: () => -1 };
  }
  const ready = signatures.ready().catch((err: unknown) => {
    throw err instanceof ConfigError ? err : new ConfigError(keyVariable(config), `cannot be used: ${(err as Error).message}`);
  });
  ready.catch(() => {});
  const rules = { clockTolerance: DEFAULT_CLOCK_TOLERANCE, issuer: config.issuer, audience: config.audience, clock };
  const validators = {
    introspect: createClaimsValidator({ ...rules, requiredClaims: DEFAULT_REQUIRED_CLAIMS }),
    revoke: createClaimsValidator({ ...rules, requiredClaims: [] }),
  };
  return {
    ready: () => ready,
    async inspect(token, use = 'introspect') {
      try {
        return { ok: true, claims: validators[use](await signatures.verify(token)) };
      } catch (err) {
        if (!(err instanceof RevocastError)) throw err;
        if (err.code === 'ERR_KEYS_UNAVAILABLE') throw new KeysUnavailableError({ cause: err });
        // A key that cannot be loaded is a configuration error, never an answer about the token.
        if (err.code === 'ERR_INVALID_OPTIONS') await ready;
        return { ok: false, reason: err.code === 'ERR_TOKEN_EXPIRED' ? 'expired' : 'invalid' };
      }
    },
  };
}
