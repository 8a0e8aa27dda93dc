/**
 * Revocast for NestJS: a guard that sets `request.auth`.
 *
 * @packageDocumentation
 */
export { RevocastGuard, toHttpException, type RevocastGuardOptions, type RevocastRequest } from './revocast-guard.js';
