import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CanActivate, HttpException } from '@nestjs/common';
import fastifyJwt from '@fastify/jwt';
import express from 'express';
import { expressjwt } from 'express-jwt';
import Fastify, { type FastifyPluginCallback } from 'fastify';
import { Hono, type MiddlewareHandler } from 'hono';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import {
  authErrorBody,
  authErrorHandler,
  createAuthenticator,
  expressJwtIsRevoked,
  fastifyJwtTrusted,
  requireAuth,
  type AuthErrorBody,
  type AuthOptions,
  type AuthRequest,
  type Authenticator,
  type ErrorCode,
  type FastifyJwtTrustedOptions,
  type RequireAuthOptions,
  type RevocastError,
  type RevocationReason,
  type TokenHeaders,
  type VerifiedClaims,
  type Verifier,
} from '@revocast/verifier-sdk';
import { fastifyAuth, type FastifyAuthOptions } from '@revocast/verifier-sdk/fastify';
import { honoAuth, type HonoAuthEnv, type HonoAuthOptions } from '@revocast/verifier-sdk/hono';
import { koaAuth, type KoaAuthContext, type KoaAuthOptions } from '@revocast/verifier-sdk/koa';
import { RevocastGuard, toHttpException, type RevocastGuardOptions, type RevocastRequest } from '@revocast/verifier-sdk/nestjs';
import { nodeAuth, writeAuthError, type NodeAuthOptions } from '@revocast/verifier-sdk/node';

// Each integration's signature, and that it plugs into its framework's own types without a cast:
// a change that compiles here but not in a user's app is what these catch.
declare const verifier: Verifier;

describe('the options every integration shares', () => {
  it('are the cookie, the realm and whether credentials are required', () => {
    expectTypeOf<AuthOptions>().toEqualTypeOf<{
      readonly cookie?: string;
      readonly realm?: string;
      readonly credentialsRequired?: boolean;
    }>();
    expectTypeOf<RequireAuthOptions>().toEqualTypeOf<AuthOptions>();
    expectTypeOf<KoaAuthOptions>().toEqualTypeOf<AuthOptions>();
    expectTypeOf<HonoAuthOptions>().toEqualTypeOf<AuthOptions>();
    expectTypeOf<RevocastGuardOptions>().toEqualTypeOf<AuthOptions>();
    expectTypeOf<FastifyAuthOptions>().toEqualTypeOf<{
      readonly cookie?: string;
      readonly realm?: string;
      readonly credentialsRequired?: boolean;
      readonly verifier: Verifier;
    }>();
    // node:http answers the refusal itself, so credentials are always required there.
    expectTypeOf<NodeAuthOptions>().toEqualTypeOf<{ readonly cookie?: string; readonly realm?: string }>();
  });

  it('build an authenticator that reads the two headers and resolves claims, or undefined when none are required', () => {
    expectTypeOf(createAuthenticator).parameters.toEqualTypeOf<[verifier: Verifier, options?: AuthOptions]>();
    expectTypeOf<Authenticator>().toEqualTypeOf<(headers: TokenHeaders) => Promise<VerifiedClaims | undefined>>();
    expectTypeOf<TokenHeaders>().toEqualTypeOf<{
      readonly authorization?: string | null | undefined;
      readonly cookie?: string | null | undefined;
    }>();
  });

  it('answer a refusal with the code, a message and, when revoked, the reason', () => {
    expectTypeOf(authErrorBody).toEqualTypeOf<(error: RevocastError) => AuthErrorBody>();
    expectTypeOf<AuthErrorBody>().toEqualTypeOf<{
      readonly error: ErrorCode;
      readonly message: string;
      readonly reason?: RevocationReason;
    }>();
  });
});

describe('Express', () => {
  it('requireAuth is middleware that sets req.auth, and authErrorHandler an error handler', () => {
    expectTypeOf(requireAuth).parameters.toEqualTypeOf<[verifier: Verifier, options?: RequireAuthOptions]>();
    expectTypeOf(requireAuth).returns.toEqualTypeOf<(req: AuthRequest, res: ServerResponse, next: (err?: unknown) => void) => void>();
    expectTypeOf<AuthRequest>().toEqualTypeOf<IncomingMessage & { auth?: VerifiedClaims }>();
    expectTypeOf(authErrorHandler).returns.toEqualTypeOf<
      (err: unknown, req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void
    >();
    const app = express();
    app.get('/me', requireAuth(verifier, { cookie: 'access_token' }), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<VerifiedClaims | undefined>();
      res.json(req.auth);
    });
    app.use(authErrorHandler());
  });

  it('expressJwtIsRevoked is the isRevoked hook of express-jwt', () => {
    expectTypeOf(expressJwtIsRevoked).toEqualTypeOf<
      (verifier: Verifier) => (req: unknown, token: { payload: unknown } | undefined) => Promise<boolean>
    >();
    expressjwt({ secret: 'secret', algorithms: ['HS256'], isRevoked: expressJwtIsRevoked(verifier) });
  });
});

describe('Fastify', () => {
  it('fastifyAuth is a plugin registered with the verifier, and sets request.auth', () => {
    expectTypeOf(fastifyAuth).toEqualTypeOf<FastifyPluginCallback<FastifyAuthOptions>>();
    const app = Fastify();
    void app.register(fastifyAuth, { verifier, cookie: 'access_token' });
    app.get('/me', async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<VerifiedClaims | undefined>();
      return request.auth;
    });
  });

  it('fastifyJwtTrusted is the trusted hook of @fastify/jwt', () => {
    expectTypeOf(fastifyJwtTrusted).toEqualTypeOf<
      (verifier: Verifier, options?: FastifyJwtTrustedOptions) => (request: unknown, decoded: unknown) => Promise<boolean>
    >();
    expectTypeOf<FastifyJwtTrustedOptions>().toEqualTypeOf<{ readonly complete?: boolean }>();
    void Fastify().register(fastifyJwt, { secret: 'secret', trusted: fastifyJwtTrusted(verifier) });
  });
});

describe('Koa', () => {
  it('koaAuth is middleware for any Koa app, setting ctx.state.auth', () => {
    expectTypeOf(koaAuth).parameters.toEqualTypeOf<[verifier: Verifier, options?: KoaAuthOptions]>();
    expectTypeOf(koaAuth).returns.toEqualTypeOf<(ctx: KoaAuthContext, next: () => Promise<unknown>) => Promise<void>>();
    const app = new Koa<{ auth: VerifiedClaims }>();
    app.use(koaAuth(verifier));
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<VerifiedClaims>();
    });
  });
});

describe('Hono', () => {
  it('honoAuth sets c.var.auth: the claims, or possibly undefined when credentials are not required', () => {
    expectTypeOf(honoAuth(verifier)).toEqualTypeOf<MiddlewareHandler<HonoAuthEnv>>();
    expectTypeOf(honoAuth(verifier, { credentialsRequired: false })).toEqualTypeOf<
      MiddlewareHandler<HonoAuthEnv<VerifiedClaims | undefined>>
    >();
    expectTypeOf<HonoAuthEnv>().toEqualTypeOf<{ Variables: { auth: VerifiedClaims } }>();
    const app = new Hono<HonoAuthEnv>();
    app.use(honoAuth(verifier));
    app.get('/me', (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<VerifiedClaims>();
      return c.json({ sub: c.var.auth.sub ?? null });
    });
  });
});

describe('NestJS', () => {
  it('RevocastGuard is a guard built from the verifier, and toHttpException maps a refusal', () => {
    expectTypeOf(RevocastGuard).constructorParameters.toEqualTypeOf<[verifier: Verifier, options?: RevocastGuardOptions]>();
    expectTypeOf<RevocastGuard>().toExtend<CanActivate>();
    expectTypeOf(toHttpException).toEqualTypeOf<(error: RevocastError) => HttpException>();
    expectTypeOf<RevocastRequest>().toEqualTypeOf<{
      readonly headers: Record<string, string | string[] | undefined>;
      auth?: VerifiedClaims;
    }>();
  });
});

describe('node:http', () => {
  it('nodeAuth resolves the claims, or undefined once it has answered the refusal itself', () => {
    expectTypeOf(nodeAuth).parameters.toEqualTypeOf<[verifier: Verifier, options?: NodeAuthOptions]>();
    expectTypeOf(nodeAuth).returns.toEqualTypeOf<(req: IncomingMessage, res: ServerResponse) => Promise<VerifiedClaims | undefined>>();
    expectTypeOf(writeAuthError).toEqualTypeOf<(res: ServerResponse, error: RevocastError) => void>();
  });
});
