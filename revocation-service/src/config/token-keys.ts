import { SUPPORTED_ALGORITHMS } from '@revocast/verifier-sdk';
import { ConfigError } from './config-error.js';

/**
 * How the service verifies the JWTs handed to `/oauth2/revoke` and
 * `/oauth2/introspect`: the same key material as the verifiers.
 */
export interface TokenKeyConfig {
  readonly algorithms: readonly string[];
  /** Exactly one of `secret` (HMAC), `publicKey` (JWK JSON or PEM) and `jwksUri`. */
  readonly secret?: string;
  readonly publicKey?: string;
  readonly jwksUri?: string;
  readonly issuer?: readonly string[];
  readonly audience?: readonly string[];
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items === undefined || items.length === 0 ? undefined : items;
}

/** `REVOCAST_JWT_*`: the key material the OAuth endpoints verify tokens with. */
export function parseTokenKeys(env: NodeJS.ProcessEnv): TokenKeyConfig | undefined {
  const sources = (['REVOCAST_JWT_SECRET', 'REVOCAST_JWT_PUBLIC_KEY', 'REVOCAST_JWKS_URI'] as const).filter(
    (name) => (env[name] ?? '') !== '',
  );
  const algorithms = list(env.REVOCAST_JWT_ALGORITHMS);
  if (sources.length === 0) {
    if (algorithms !== undefined)
      throw new ConfigError(
        'REVOCAST_JWT_ALGORITHMS',
        'is set but no key is: set REVOCAST_JWT_SECRET, REVOCAST_JWT_PUBLIC_KEY or REVOCAST_JWKS_URI',
      );
    return undefined;
  }
  if (sources.length > 1) throw new ConfigError(sources[1] as string, `cannot be combined with ${sources[0]}: set exactly one key source`);
  if (algorithms === undefined) throw new ConfigError('REVOCAST_JWT_ALGORITHMS', 'is required with a key, for example RS256 or HS256');
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new ConfigError('REVOCAST_JWT_ALGORITHMS', `has ${JSON.stringify(alg)}; use some of ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
  }
  const hmac = algorithms.filter((alg) => alg.startsWith('HS')).length;
  const source = sources[0] as string;
  // The same rule as the verifiers: a secret only with HS*, a public key never with HS* (no algorithm confusion).
  if (source === 'REVOCAST_JWT_SECRET' ? hmac !== algorithms.length : hmac > 0) {
    throw new ConfigError(
      'REVOCAST_JWT_ALGORITHMS',
      source === 'REVOCAST_JWT_SECRET' ? 'must be HS256, HS384 or HS512 with REVOCAST_JWT_SECRET' : `cannot include HS* with ${source}`,
    );
  }
  if (source === 'REVOCAST_JWT_SECRET' && new TextEncoder().encode(env.REVOCAST_JWT_SECRET).byteLength < 32) {
    throw new ConfigError('REVOCAST_JWT_SECRET', 'must be at least 32 bytes');
  }
  if (source === 'REVOCAST_JWKS_URI' && !/^https?:\/\//.test(env.REVOCAST_JWKS_URI as string))
    throw new ConfigError('REVOCAST_JWKS_URI', 'must be an http(s) URL');
  const issuer = list(env.REVOCAST_JWT_ISSUER);
  const audience = list(env.REVOCAST_JWT_AUDIENCE);
  return {
    algorithms,
    ...(source === 'REVOCAST_JWT_SECRET' ? { secret: env.REVOCAST_JWT_SECRET as string } : {}),
    ...(source === 'REVOCAST_JWT_PUBLIC_KEY' ? { publicKey: env.REVOCAST_JWT_PUBLIC_KEY as string } : {}),
    ...(source === 'REVOCAST_JWKS_URI' ? { jwksUri: env.REVOCAST_JWKS_URI as string } : {}),
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
  };
}
