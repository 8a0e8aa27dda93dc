import type { MiddlewareHandler } from 'hono';
import type { RevocastError } from '../errors.js';
import { authErrorBody, type AuthError } from '../http/auth-error.js';
import { createAuthenticator, type AuthOptions } from '../http/create-authenticator.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';

/** Options of {@link honoAuth}: those of every integration. */
export type HonoAuthOptions = AuthOptions;

/** The Hono environment the middleware provides: `c.get('auth')` (or `c.var.auth`) holds the claims. */
export interface HonoAuthEnv<Auth = VerifiedClaims> {
  Variables: { auth: Auth };
}

/**
 * Hono middleware: verifies the bearer token (or the named cookie), sets
 * `c.set('auth', claims)` and calls `next()`. A refused request is answered
 * here: 401 or 503, always with the RFC 6750 `WWW-Authenticate` challenge,
 * and a JSON body `{ error, message }` (plus `reason` for a revoked token).
 *
 * Runtime: Node.js 20.19 or later. The verifier keeps its revocation list
 * current over a long-lived TCP connection to Redis (ioredis, on `node:net`
 * and `node:tls`) and uses Node's built-ins (`node:os`, Node's crypto for
 * signatures), so edge runtimes without TCP sockets or those built-ins
 * (Cloudflare Workers, Vercel Edge) cannot run it; serve Hono with
 * `@hono/node-server`.
 *
 * @example
 * ```ts
 * const app = new Hono<HonoAuthEnv>();
 * app.use('/api/*', honoAuth(verifier, { cookie: 'access_token' }));
 * app.get('/api/me', (c) => c.json({ sub: c.var.auth.sub }));
 * ```
 */
export function honoAuth(
  verifier: Verifier,
  options?: HonoAuthOptions & { readonly credentialsRequired?: true },
): MiddlewareHandler<HonoAuthEnv>;
/** With `credentialsRequired: false`, `c.var.auth` is `undefined` for a request without a token. */
export function honoAuth(
  verifier: Verifier,
  options: HonoAuthOptions & { readonly credentialsRequired: false },
): MiddlewareHandler<HonoAuthEnv<VerifiedClaims | undefined>>;
export function honoAuth(
  verifier: Verifier,
  options: HonoAuthOptions = {},
): MiddlewareHandler<HonoAuthEnv> | MiddlewareHandler<HonoAuthEnv<VerifiedClaims | undefined>> {
  const authenticate = createAuthenticator(verifier, options);
  const revocastAuth: MiddlewareHandler<HonoAuthEnv<VerifiedClaims | undefined>> = async (c, next) => {
    let claims: VerifiedClaims | undefined;
    try {
      claims = await authenticate({ authorization: c.req.header('authorization'), cookie: c.req.header('cookie') });
    } catch (err) {
      const refusal = err as AuthError & { headers: Record<string, string> };
      return c.json(authErrorBody(refusal as RevocastError), refusal.status as 401, { ...refusal.headers, 'Cache-Control': 'no-store' });
    }
    c.set('auth', claims);
    await next();
    return undefined;
  };
  return revocastAuth;
}
