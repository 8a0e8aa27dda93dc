import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { createAuthenticator, type AuthOptions, type Authenticator } from '../http/create-authenticator.js';
import type { VerifiedClaims, Verifier } from '../verify/create-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Claims of the verified token, set by the `fastifyAuth` plugin. */
    auth?: VerifiedClaims;
  }
}

/** Options of {@link fastifyAuth}: the verifier and those of every integration. */
export interface FastifyAuthOptions extends AuthOptions {
  readonly verifier: Verifier;
}

function plugin(app: FastifyInstance, options: FastifyAuthOptions, done: (err?: Error) => void): void {
  let authenticate: Authenticator;
  try {
    authenticate = createAuthenticator(options.verifier, options);
  } catch (err) {
    // Bad options fail the registration (and so app.ready()), not the process.
    done(err as Error);
    return;
  }
  // Declared up front so every request has the same shape (Fastify's advice for decorations).
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', undefined);
  app.addHook('onRequest', async (request) => {
    const claims = await authenticate(request.headers);
    if (claims !== undefined) request.auth = claims;
  });
  done();
}

/**
 * Fastify plugin: an `onRequest` hook that verifies the bearer token (or the
 * named cookie) and sets `request.auth` to its claims. A refusal is thrown
 * into Fastify's error handling as an error with `statusCode`-compatible
 * `status` (401, or 503 while the list is stale), a stable `code` and
 * `headers` holding the RFC 6750 `WWW-Authenticate` challenge, so Fastify's
 * default handler answers `{ statusCode, code, error, message }` and a
 * custom `setErrorHandler` sees them all.
 *
 * Like a plugin wrapped in fastify-plugin, it is not encapsulated: it
 * protects every route of the instance it is registered on. Register it
 * inside a `register` scope to protect only that scope's routes.
 *
 * @example
 * ```ts
 * await app.register(fastifyAuth, { verifier, cookie: 'access_token' });
 * app.get('/me', async (request) => ({ sub: request.auth?.sub }));
 * ```
 */
export const fastifyAuth: FastifyPluginCallback<FastifyAuthOptions> = Object.assign(plugin, {
  // What fastify-plugin sets, without depending on it: hooks and decorations reach the registering scope.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@revocast/verifier-sdk/fastify',
  [Symbol.for('plugin-meta')]: { name: '@revocast/verifier-sdk/fastify', fastify: '5.x' },
});
