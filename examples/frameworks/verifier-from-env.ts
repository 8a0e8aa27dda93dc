import { createVerifier, type Verifier } from '@revocast/verifier-sdk';

/**
 * The verifier every sample uses: Redis at REDIS_URL, tokens signed with
 * the keys at JWKS_URI (RS256), or with the HMAC secret JWT_SECRET (HS256).
 */
export async function verifierFromEnv(): Promise<Verifier> {
  const { REDIS_URL = 'redis://127.0.0.1:6379', REVOCAST_KEY_PREFIX, JWKS_URI, JWT_SECRET } = process.env;
  const verifier = createVerifier({
    redis: REDIS_URL,
    ...(REVOCAST_KEY_PREFIX === undefined ? {} : { keyPrefix: REVOCAST_KEY_PREFIX }),
    ...(JWKS_URI !== undefined
      ? { jwksUri: JWKS_URI, algorithms: ['RS256'] }
      : { key: new TextEncoder().encode(JWT_SECRET), algorithms: ['HS256'] }),
  });
  await verifier.ready();
  return verifier;
}
