import type { IncomingHttpHeaders } from 'node:http';
import type { RevocastError } from '../errors.js';
import { authErrorBody, type AuthError } from '../http/auth-error.js';
import { createAuthenticator, type AuthOptions } from '../http/create-authenticator.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';

/**
 * The part of a Koa context the middleware uses. Written out rather than
 * imported so the SDK needs neither koa nor @types/koa; Koa's own context
 * fits it.
 */
export interface KoaAuthContext {
  readonly headers: IncomingHttpHeaders;
  /** Koa types it as the app's state type; `object` here so every app's context fits. */
  state: object;
  status: number;
  body: unknown;
  set(field: Record<string, string>): void;
}

/** Options of {@link koaAuth}: those of every integration. */
export type KoaAuthOptions = AuthOptions;

/**
 * Koa middleware: verifies the bearer token (or the named cookie), sets
 * `ctx.state.auth` to its claims and calls `next()`. A refused request is
 * answered here and `next()` is not called: 401 (missing, invalid, expired
 * or revoked token) or 503 (list stale), with the RFC 6750
 * `WWW-Authenticate` challenge and a JSON body `{ error, message }` whose
 * `error` is the stable code (`ERR_TOKEN_MISSING` for a request without a
 * token), plus `reason` for a revoked token.
 *
 * @example
 * ```ts
 * router.get('/me', koaAuth(verifier, { cookie: 'access_token' }), (ctx) => {
 *   ctx.body = { sub: ctx.state.auth.sub };
 * });
 * ```
 */
export function koaAuth(
  verifier: Verifier,
  options: KoaAuthOptions = {},
): (ctx: KoaAuthContext, next: () => Promise<unknown>) => Promise<void> {
  const authenticate = createAuthenticator(verifier, options);
  return async function revocastAuth(ctx, next) {
    let claims: VerifiedClaims | undefined;
    try {
      claims = await authenticate(ctx.headers);
    } catch (err) {
      const refusal = err as AuthError;
      ctx.status = refusal.status;
      ctx.set({ ...refusal.headers, 'Cache-Control': 'no-store' });
      ctx.body = authErrorBody(refusal as RevocastError);
      return;
    }
    if (claims !== undefined) (ctx.state as { auth?: VerifiedClaims }).auth = claims;
    await next();
  };
}
