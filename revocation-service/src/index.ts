/**
 * Revocast revocation service: the admin API that records revocations and
 * publishes them to every verifier.
 *
 * @packageDocumentation
 */
export { createApp, type AppDeps } from './app.js';
export { createService, type Service, type ServiceAddress, type ServiceParts } from './create-service.js';
export { memoryAdminState, openRedisAdminState, type AdminState, type RedisAdminStateOptions } from './admin-state/admin-state.js';
export { ConfigError } from './config/config-error.js';
export { DEFAULTS } from './config/defaults.js';
export { loadConfig, type ServiceConfig } from './config/load-config.js';
export { parseAdminKeys } from './config/admin-keys.js';
export { parseDuration, parseInterval } from './config/duration-variables.js';
export { parseRateLimit } from './config/rate-limit.js';
export { parseTokenKeys, type TokenKeyConfig } from './config/token-keys.js';
export type { DatabaseConfig } from './config/database-config.js';
export { ServiceError, type ServiceErrorCode } from './errors.js';
export { createLogger, REDACT_PATHS } from './logger.js';
export type { AdminKey, RateLimit, Scope } from './http/admin-auth.js';
export type { VerifierFleet, FleetSnapshot } from './fleet/verifier-fleet.js';
export { RedisFleet, type RedisFleetOptions } from './fleet/redis-fleet.js';
export { MemoryFleet } from './fleet/memory-fleet.js';
export { waitForVerifiers, type Propagation, type WaitOptions } from './fleet/wait-for-verifiers.js';
export type { FleetStatus, VerifierView } from './fleet/fleet-status.js';
export type { ProblemCode } from './http/problem.js';
export type { RevocationInput, RevocationRecord } from './model/revocation.js';
export { createTokenInspector, type TokenInspector, type Inspection, type InspectionUse } from './oauth/token-inspector.js';
export { RedisStore, type RedisStoreOptions } from './store/redis-store.js';
export type { CoalesceOptions } from './store/write-coalescer.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export type { ReconcileReport } from './store/reconciler.js';
export { startPruner } from './store/pruner.js';
export type { BatchRevokeResult, RevocationStore, ListPage, ListQuery } from './store/revocation-store.js';
