import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Module, Req, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Verifier } from '@revocast/verifier-sdk';
import { RevocastGuard, type RevocastRequest } from '@revocast/verifier-sdk/nestjs';
import { verifierFromEnv } from './verifier-from-env.js';

@Controller()
export class MeController {
  @Get('me')
  me(@Req() request: RevocastRequest) {
    return { sub: request.auth?.sub };
  }
}

@Module({ controllers: [MeController] })
export class AppModule {}

/** Guards every route of `app`; on one controller or route use @UseGuards(new RevocastGuard(verifier)). */
export function useRevocast(app: INestApplication, verifier: Verifier): INestApplication {
  return app.useGlobalGuards(new RevocastGuard(verifier, { cookie: 'access_token', realm: 'example' }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = useRevocast(await NestFactory.create(AppModule, { logger: false }), await verifierFromEnv());
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
