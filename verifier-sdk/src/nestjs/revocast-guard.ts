import { HttpException, ServiceUnavailableException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { RevocastError } from '../errors.js';
import { authErrorBody, type AuthError } from '../http/auth-error.js';
import { createAuthenticator, type AuthOptions, type Authenticator } from '../http/create-authenticator.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';

/** Options of {@link RevocastGuard}: those of every integration. */
export type RevocastGuardOptions = AuthOptions;

/** The request as the guard leaves it: Express's or Fastify's, with `auth` set. */
export interface RevocastRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  auth?: VerifiedClaims;
}

/** Either platform's response: Express's `res.header` / `res.setHeader`, Fastify's `reply.header`. */
interface PlatformResponse {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/**
 * The `HttpException` for a refusal: `UnauthorizedException` for a 401
 * (missing, invalid, expired or revoked token), `ServiceUnavailableException`
 * for a 503 (list stale, keys unavailable), an `HttpException` with the
 * error's status otherwise. Its body is `{ statusCode, error, message }`
 * with the stable code in `error` (plus `reason` for a revoked token); the
 * `RevocastError` is its `cause`.
 *
 * @example
 * ```ts
 * try {
 *   request.auth = await verifier.verify(token);
 * } catch (err) {
 *   throw toHttpException(toAuthError(err, bearerChallenge('api')));
 * }
 * ```
 */
export function toHttpException(error: RevocastError): HttpException {
  const body = { statusCode: error.status, ...authErrorBody(error) };
  if (error.status === 401) return new UnauthorizedException(body, { cause: error });
  if (error.status === 503) return new ServiceUnavailableException(body, { cause: error });
  return new HttpException(body, error.status, { cause: error });
}

/**
 * NestJS guard (`CanActivate`) for HTTP routes, on the Express or the
 * Fastify platform: verifies the bearer token (or the named cookie) and sets
 * `request.auth` to its claims. A refusal sets the RFC 6750
 * `WWW-Authenticate` challenge (and `Retry-After` on a 503) on the response
 * and throws the matching `HttpException` (see {@link toHttpException}), so
 * Nest's exception filters answer it; a `RevocastError` never reaches Nest
 * as an unknown error (a 500).
 *
 * It takes the verifier in its constructor and uses no decorators, so it
 * needs no dependency-injection metadata: register an instance.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useGlobalGuards(new RevocastGuard(verifier, { cookie: 'access_token' }));
 * // or on one controller or route: @UseGuards(new RevocastGuard(verifier))
 * ```
 */
export class RevocastGuard implements CanActivate {
  readonly #authenticate: Authenticator;

  constructor(verifier: Verifier, options: RevocastGuardOptions = {}) {
    this.#authenticate = createAuthenticator(verifier, options);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') throw new Error(`RevocastGuard guards HTTP routes only, not ${context.getType()} handlers`);
    const http = context.switchToHttp();
    const request = http.getRequest<RevocastRequest>();
    try {
      const claims = await this.#authenticate({
        authorization: single(request.headers.authorization),
        cookie: single(request.headers.cookie),
      });
      if (claims !== undefined) request.auth = claims;
      return true;
    } catch (err) {
      const refusal = err as AuthError;
      const response = http.getResponse<PlatformResponse>();
      for (const [name, value] of Object.entries(refusal.headers ?? {})) {
        if (typeof response.header === 'function') response.header(name, value);
        else response.setHeader?.(name, value);
      }
      throw toHttpException(refusal);
    }
  }
}

/** Node joins repeated headers except a few; an array is never a bearer credential. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
