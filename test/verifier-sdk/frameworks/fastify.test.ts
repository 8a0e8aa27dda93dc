import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { fastifyAuth } from '@revocast/verifier-sdk/fastify';
import { createFastifyApp } from '../../../examples/frameworks/fastify.js';
import { memoryStore, signToken, testVerifier } from '../../support/fixtures.js';
import { integrationSuite, type Client } from './integration-suite.js';

integrationSuite('Fastify plugin', {
  async start(verifier) {
    const app = createFastifyApp(verifier);
    await app.ready();
    // Fastify's own in-process test tool: no socket.
    const request: Client = async (url, headers) => {
      const res = await app.inject({ url, headers });
      return {
        status: res.statusCode,
        headers: res.headers as Record<string, string | undefined>,
        body: res.body.length === 0 ? '' : res.json(),
      };
    };
    return { request, close: () => app.close() };
  },
  // Fastify's default error body: { statusCode, code, error, message }.
  refusal: (body) => ({ code: (body as { code: unknown }).code, message: (body as { message: unknown }).message }),
  carriesReason: false,
});

describe('the Fastify plugin', () => {
  it('hands refusals to a custom error handler with status, code, reason and headers', async () => {
    const verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const app = Fastify();
    const seen: unknown[] = [];
    app.setErrorHandler((error, _request, reply) => {
      seen.push(error);
      return reply.status(418).send({ handled: true });
    });
    await app.register(fastifyAuth, { verifier });
    app.get('/me', async () => ({ ok: true }));
    try {
      const res = await app.inject({ url: '/me' });
      expect(res.statusCode).toBe(418);
      expect(seen[0]).toMatchObject({ code: 'ERR_TOKEN_MISSING', status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="api"' } });
    } finally {
      await app.close();
      await verifier.close();
    }
  });

  it('guards only the routes of the scope it is registered in, and decorates request.auth there', async () => {
    const verifier = testVerifier({ source: memoryStore().feed() });
    await verifier.ready();
    const app = Fastify();
    app.get('/public', async (request) => ({ auth: request.auth ?? null }));
    // biome-ignore lint/nursery/noMisusedPromises: Fastify awaits an async plugin (its types have that overload; Biome picks another)
    await app.register(async (scope) => {
      await scope.register(fastifyAuth, { verifier });
      scope.get('/private', async (request) => ({ sub: request.auth?.sub }));
    });
    try {
      expect((await app.inject({ url: '/public' })).json()).toEqual({ auth: null });
      expect((await app.inject({ url: '/private' })).statusCode).toBe(401);
      const ok = await app.inject({ url: '/private', headers: { authorization: `Bearer ${await signToken({ sub: 'ann' })}` } });
      expect(ok.json()).toEqual({ sub: 'ann' });
    } finally {
      await app.close();
      await verifier.close();
    }
  });

  it('refuses bad options when registered', async () => {
    const app = Fastify();
    await expect(app.register(fastifyAuth, { verifier: {} as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    await app.close();
  });
});
