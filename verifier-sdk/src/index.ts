/**
 * Revocast verifier SDK: verify JWTs (node:crypto, with jose for key sets)
 * and reject revoked ones from a local list that Redis keeps current by push.
 *
 * @packageDocumentation
 */
export {
  createVerifier,
  type TokenCacheOptions,
  type Verifier,
  type VerifierOptions,
  type VerifierStatus,
  type VerifiedClaims,
} from './verify/create-verifier.js';
export {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_REQUIRED_CLAIMS,
  createClaimsValidator,
  type ClaimsRules,
  type ClaimsValidator,
} from './verify/claims.js';
export { SUPPORTED_ALGORITHMS, type Algorithm, type VerificationKey } from './verify/key-material.js';
export { createSignatureVerifier, type SignatureVerifier, type SignatureVerifierOptions } from './verify/signature-verifier.js';
export { requireAuth, type AuthRequest, type RequireAuthOptions } from './express/require-auth.js';
export { authErrorHandler } from './express/error-handler.js';
export { bearerToken, cookieValue, extractToken, type TokenHeaders } from './http/extract-token.js';
export { bearerChallenge, type BearerChallenge } from './http/bearer-challenge.js';
export { authErrorBody, toAuthError, type AuthError, type AuthErrorBody } from './http/auth-error.js';
export { createAuthenticator, type AuthOptions, type Authenticator } from './http/create-authenticator.js';
export { expressJwtIsRevoked } from './adapters/express-jwt.js';
export { fastifyJwtTrusted, type FastifyJwtTrustedOptions } from './adapters/fastify-jwt.js';
export { RevocastError, TokenRevokedError, type ErrorCode, type RevocationReason } from './errors.js';
export type { RevocationClaims } from './list/revocation-list.js';
export type { SyncState } from './sync/sync-engine.js';
export type { Logger } from './internal/logger.js';
export type { SyncSource } from './protocol/index.js';
export { openRedis, type RedisClient } from './sync/redis-connection.js';
export { createRevocationMirror, type RevocationMirror, type RevocationMirrorOptions } from './mirror/create-mirror.js';
