import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  type ServiceError,
  createService,
  loadConfig,
  type AdminKey,
  type AdminState,
  type DatabaseConfig,
  type ProblemCode,
  type RateLimit,
  type RevocationStore,
  type Scope,
  type Service,
  type ServiceAddress,
  type ServiceConfig,
  type ServiceErrorCode,
  type ServiceParts,
  type TokenInspector,
  type TokenKeyConfig,
  type VerifierFleet,
} from '@revocast/revocation-service';

// The service as an embedding application builds it (the example app, tests, a user's own main):
// configuration as data, one composition root, errors with stable codes.

describe('loadConfig', () => {
  it('reads the environment into a ServiceConfig', () => {
    expectTypeOf(loadConfig).toEqualTypeOf<(env?: NodeJS.ProcessEnv) => ServiceConfig>();
  });

  it('ServiceConfig holds every setting parsed, durations in seconds, optional parts absent when off', () => {
    expectTypeOf<ServiceConfig>().toEqualTypeOf<{
      readonly redisUrl: string;
      readonly port: number;
      readonly host: string;
      readonly adminKeys: readonly AdminKey[];
      readonly authFailureLimit: RateLimit | null;
      readonly maxTokenTtl: number;
      readonly retentionGrace: number;
      readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
      readonly keyPrefix: string;
      readonly trustProxy?: boolean | number | string;
      readonly tokenKeys?: TokenKeyConfig;
      readonly database?: DatabaseConfig;
      readonly snapshot?: { readonly everyMs: number; readonly everyChanges: number };
    }>();
  });

  it('an admin key has a name, a secret, and optionally scopes and a rate limit', () => {
    expectTypeOf<AdminKey>().toEqualTypeOf<{
      readonly name: string;
      readonly secret: string;
      readonly scopes?: readonly Scope[];
      readonly rateLimit?: RateLimit;
    }>();
    expectTypeOf<Scope>().toEqualTypeOf<'read' | 'revoke' | 'reinstate'>();
    expectTypeOf<RateLimit>().toEqualTypeOf<{ readonly requests: number; readonly perMs: number }>();
    expectTypeOf<DatabaseConfig>().toEqualTypeOf<{
      readonly url: string;
      readonly schema: string;
      readonly outboxIntervalMs: number;
      readonly reconcileIntervalMs: number;
    }>();
  });
});

describe('createService', () => {
  it('takes the config and optional parts, and returns the service', () => {
    expectTypeOf(createService).toEqualTypeOf<(config: ServiceConfig, parts?: ServiceParts) => Service>();
  });

  it('every part can be injected: the store, the fleet (null for none), admin state, token inspector, logger, registry, clock, and the pruning interval', () => {
    expectTypeOf<ServiceParts>().toEqualTypeOf<{
      readonly store?: RevocationStore;
      readonly fleet?: VerifierFleet | null;
      readonly adminState?: AdminState;
      readonly tokenInspector?: TokenInspector;
      readonly logger?: Logger;
      readonly registry?: Registry;
      readonly clock?: () => number;
      readonly pruneIntervalMs?: number;
    }>();
  });

  it('the service exposes its app and parts, listens, and closes with a grace period', () => {
    expectTypeOf<Service>().toEqualTypeOf<{
      readonly app: Express;
      readonly store: RevocationStore;
      readonly fleet: VerifierFleet | undefined;
      readonly adminState: AdminState;
      readonly logger: Logger;
      readonly registry: Registry;
      readonly closing: AbortSignal;
      ready(): Promise<void>;
      listen(port?: number, host?: string): Promise<ServiceAddress>;
      close(options?: { readonly graceMs?: number }): Promise<void>;
    }>();
    expectTypeOf<ServiceAddress>().toEqualTypeOf<{ readonly url: string; readonly host: string; readonly port: number }>();
  });
});

describe('the service errors', () => {
  it('carry a stable code: the service codes and the problem codes of the HTTP API', () => {
    expectTypeOf<ServiceErrorCode>().toEqualTypeOf<
      | 'ERR_CONFIG'
      | 'ERR_CLI'
      | 'ERR_OAUTH'
      | 'ERR_INVALID_CURSOR'
      | 'ERR_INVALID_ID'
      | 'ERR_REDIS_CHANGED'
      | 'ERR_KEYS_UNAVAILABLE'
      | 'ERR_STORE_UNAVAILABLE'
      | 'ERR_REDIS_OWNED_BY_RECORD'
    >();
    expectTypeOf<ProblemCode>().toEqualTypeOf<
      | 'ERR_VALIDATION'
      | 'ERR_UNAUTHORIZED'
      | 'ERR_FORBIDDEN'
      | 'ERR_NOT_FOUND'
      | 'ERR_METHOD_NOT_ALLOWED'
      | 'ERR_BODY_TOO_LARGE'
      | 'ERR_UNSUPPORTED_MEDIA_TYPE'
      | 'ERR_RATE_LIMITED'
      | 'ERR_NOT_CONFIGURED'
      | 'ERR_KEYS_UNAVAILABLE'
      | 'ERR_STORE_UNAVAILABLE'
      | 'ERR_REDIS_OWNED_BY_RECORD'
      | 'ERR_INTERNAL'
    >();
    expectTypeOf<ServiceError['code']>().toEqualTypeOf<ServiceErrorCode | ProblemCode>();
    expectTypeOf<ServiceError>().toExtend<Error>();
  });

  it('a ConfigError names the variable that is wrong', () => {
    expectTypeOf<ConfigError>().toExtend<ServiceError<'ERR_CONFIG'>>();
    expectTypeOf<ConfigError['code']>().toEqualTypeOf<'ERR_CONFIG'>();
    expectTypeOf<ConfigError['variable']>().toEqualTypeOf<string>();
    expectTypeOf(ConfigError).constructorParameters.toEqualTypeOf<[variable: string, problem: string]>();
  });
});
