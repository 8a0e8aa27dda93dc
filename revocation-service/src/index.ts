/**
 * Revocast revocation service: the admin API that records revocations and
 * publishes them to every verifier.
 *
 * @packageDocumentation
 */
export { createApp, type AppDeps } from './app.js';
export { ConfigError, loadConfig, parseAdminKeys, parseDuration, parseInterval, type DatabaseConfig, type ServiceConfig } from './config.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export type { AdminKey } from './http/admin-auth.js';
export type { ProblemCode } from './http/problem.js';
export type { RevocationInput, RevocationRecord } from './model/revocation.js';
export { RedisStore, type RedisStoreOptions } from './store/redis-store.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export type { ReconcileReport } from './store/reconciler.js';
export { startPruner } from './store/pruner.js';
export type { RevocationStore, ListPage, ListQuery } from './store/revocation-store.js';
