import 'reflect-metadata';
import { Controller, Get, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { RevocastError, type Verifier } from '@revocast/verifier-sdk';
import { RevocastGuard, toHttpException, type RevocastRequest } from '@revocast/verifier-sdk/nestjs';
import { AppModule, MeController, useRevocast } from '../../../examples/frameworks/nestjs.js';
import { memoryStore, signToken, testVerifier } from '../../support/fixtures.js';
import { integrationSuite, socketClient, type StartedApp } from './integration-suite.js';

/** A Nest app from @nestjs/testing, listening on a free loopback port. */
async function startNest(setup: (app: INestApplication) => unknown, controllers: Array<new () => unknown>): Promise<StartedApp> {
  const moduleRef = await Test.createTestingModule({ controllers }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  setup(app);
  await app.listen(0, '127.0.0.1');
  return { request: socketClient(app.getHttpServer() as Server), close: () => app.close() };
}

integrationSuite('NestJS guard', {
  start: (verifier) => startNest((app) => useRevocast(app, verifier), [MeController]),
  // The HttpException's body: { statusCode, error, message, reason? }.
  refusal: (body) => {
    const { error, message, reason, statusCode } = body as Record<string, unknown>;
    expect(typeof statusCode).toBe('number');
    return { code: error, message, ...(reason === undefined ? {} : { reason }) };
  },
  carriesReason: true,
});

/** The same sample module on Nest's Fastify platform, called through Fastify's inject(). */
async function startNestOnFastify(verifier: Verifier): Promise<StartedApp> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  useRevocast(app, verifier);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    request: async (url, headers) => {
      const res = await app.inject({ url, headers });
      return {
        status: res.statusCode,
        headers: res.headers as Record<string, string | undefined>,
        body: res.body.length === 0 ? '' : res.json(),
      };
    },
    close: () => app.close(),
  };
}

integrationSuite('NestJS guard on the Fastify platform', {
  start: startNestOnFastify,
  refusal: (body) => {
    const { error, message, reason } = body as Record<string, unknown>;
    return { code: error, message, ...(reason === undefined ? {} : { reason }) };
  },
  carriesReason: true,
});

// Built before the controller below, whose decorator takes a guard instance.
const scoped: Verifier = testVerifier({ source: memoryStore().feed() });
afterAll(() => scoped.close());

@Controller('scoped')
@UseGuards(new RevocastGuard(scoped))
class ScopedController {
  @Get()
  me(@Req() request: RevocastRequest) {
    return { sub: request.auth?.sub };
  }
}

describe('the NestJS guard', () => {
  it('maps every RevocastError status to the right HttpException, with the code in the body and the error as cause', () => {
    const cases: Array<[RevocastError, string, number]> = [
      [new RevocastError('ERR_TOKEN_MISSING', 401, 'm'), 'UnauthorizedException', 401],
      [new RevocastError('ERR_TOKEN_INVALID', 401, 'm'), 'UnauthorizedException', 401],
      [new RevocastError('ERR_TOKEN_EXPIRED', 401, 'm'), 'UnauthorizedException', 401],
      [new RevocastError('ERR_TOKEN_REVOKED', 401, 'm'), 'UnauthorizedException', 401],
      [new RevocastError('ERR_LIST_STALE', 503, 'm'), 'ServiceUnavailableException', 503],
      [new RevocastError('ERR_KEYS_UNAVAILABLE', 503, 'm'), 'ServiceUnavailableException', 503],
      [new RevocastError('ERR_INVALID_OPTIONS', 500, 'm'), 'HttpException', 500],
    ];
    for (const [error, name, status] of cases) {
      const exception = toHttpException(error);
      expect(exception.constructor.name, error.code).toBe(name);
      expect(exception.getStatus()).toBe(status);
      expect(exception.getResponse()).toEqual({ statusCode: status, error: error.code, message: 'm' });
      expect(exception.cause).toBe(error);
    }
  });

  it('works as an instance in @UseGuards on one controller, on the Express platform', async () => {
    await scoped.ready();
    const app = await startNest(() => {}, [ScopedController]);
    try {
      expect(await app.request('/scoped', { authorization: `Bearer ${await signToken({ sub: 'ida' })}` })).toMatchObject({
        status: 200,
        body: { sub: 'ida' },
      });
      const refused = await app.request('/scoped', {});
      expect(refused).toMatchObject({ status: 401, body: { error: 'ERR_TOKEN_MISSING' } });
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="api"');
    } finally {
      await app.close();
    }
  });

  it('is built without decorators: a module of its own needs no DI metadata', () => {
    expect(AppModule).toBeTypeOf('function');
    expect(Reflect.getMetadataKeys(RevocastGuard)).toEqual([]);
  });
});
