import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { RevocastError, TokenRevokedError, invalidOptions, listStale, tokenInvalid } from '../errors.js';
import { consoleLogger, type Logger } from '../internal/logger.js';
import type { RevocationClaims } from '../list/revocation-list.js';
import { NO_METRICS, createVerifierMetrics, type VerifierMetrics } from '../metrics/verifier-metrics.js';
import { PresenceReporter } from '../presence/presence-reporter.js';
import {
  DEFAULT_KEY_PREFIX,
  RedisUrlError,
  isVerifierId,
  keyPrefixProblem,
  parseRedisTarget,
  type RevocationType,
  type SyncSource,
} from '../protocol/index.js';
import type { RedisClient } from '../sync/redis-connection.js';
import { RedisSource } from '../sync/redis-source.js';
import { SyncEngine, type SyncState } from '../sync/sync-engine.js';
import { SDK_VERSION } from '../version.js';
import { isCompactJws } from './compact-jws.js';
import { checkAlgorithms, resolveKey, type ResolvedKey, type VerificationKey } from './key-material.js';
import { TokenCache } from './token-cache.js';

/** Bounds of the verified-token cache; see {@link VerifierOptions.tokenCache}. */
export interface TokenCacheOptions {
  /** Most tokens kept. Default 10,000. */
  readonly maxEntries?: number;
  /** Most memory kept, in approximate bytes (three per token character plus 128 per entry). Default 16 MiB. */
  readonly maxBytes?: number;
}

/**
 * Options of {@link createVerifier}. Durations are in seconds.
 */
export interface VerifierOptions {
  /**
   * Redis URL or an ioredis client (or `Cluster`) to share. One of `redis` and `source` is required.
   * `redis://host:6379` (or `rediss://`) for one server;
   * `redis+sentinel://host:26379,host:26379/<master name>` to follow the master through Sentinel failovers;
   * `redis+cluster://host:6379,host:6379` for a Redis Cluster (sharded pub/sub).
   */
  readonly redis?: string | RedisClient;
  /** Another source of revocations, such as the service's in-memory store when both run in one process. */
  readonly source?: SyncSource;
  /** Prefix of the Redis keys; must match the service's `REVOCAST_KEY_PREFIX`. Default `"revocast"`. */
  readonly keyPrefix?: string;
  /** Public JWK, KeyObject, CryptoKey, or HMAC secret (string or bytes, at least 32 bytes). */
  readonly key?: VerificationKey;
  /** URL of a JSON Web Key Set, instead of `key`. */
  readonly jwksUri?: string | URL;
  /** Allowed JWS algorithms. Required; `none` is never allowed. */
  readonly algorithms: readonly string[];
  /** Expected `iss`. */
  readonly issuer?: string | readonly string[];
  /** Expected `aud`. */
  readonly audience?: string | readonly string[];
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. Default 5. Entries are pruned only after this too. */
  readonly clockTolerance?: number;
  /** Claims every token must carry. Default `["exp", "jti"]`. */
  readonly requiredClaims?: readonly string[];
  /** Seconds the list may go unconfirmed before it counts as stale. Default 30. */
  readonly maxStaleness?: number;
  /** Accept tokens (still checking the list it has) while stale instead of rejecting them. Default false. */
  readonly failOpen?: boolean;
  /** Seconds between liveness checks of the Redis head. Default 1. */
  readonly pollInterval?: number;
  /** Seconds before a Redis command counts as failed. Default 2. */
  readonly commandTimeout?: number;
  /** Longest token accepted, in characters. Default 8192. */
  readonly maxTokenLength?: number;
  /** Name this verifier reports to the service: 1 to 128 of `A-Z a-z 0-9 _ . : @ -`. Default `<host>-<pid>-<random>`. */
  readonly id?: string;
  /** Seconds between presence reports to the service; a report expires after three. `0` reports nothing. Default 2. */
  readonly heartbeatInterval?: number;
  /** prom-client registry to register the verifier metrics on. */
  readonly registry?: Registry;
  /** pino (or compatible) logger. By default warnings and errors go to stderr. */
  readonly logger?: Logger;
  /**
   * Cache of verified tokens, keyed by the exact token string, so a client
   * that sends the same token on every request pays for the signature once.
   * Every call still checks `exp` (with `clockTolerance`), the revocation
   * list and staleness. The cache is emptied whenever the JWKS is fetched
   * again, and bypassed once the JWKS is due for a refresh, so a retired key
   * stops working as it would without the cache. Claims of a cached token are
   * one frozen object shared by every call. `false` turns the cache off.
   * Default `{ maxEntries: 10000, maxBytes: 16 MiB }`.
   */
  readonly tokenCache?: false | TokenCacheOptions;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
}

/** The payload of a verified token. */
export type VerifiedClaims = JWTPayload & { readonly sid?: string };

/** A snapshot of the verifier's sync state. */
export interface VerifierStatus {
  /** The id this verifier reports to the service. */
  readonly id: string;
  readonly state: SyncState;
  /** The history the list follows; `null` while Redis holds none. */
  readonly epoch: string | null;
  /** Offset of the last applied change. */
  readonly offset: number;
  /** Last time the list was confirmed current, or `null` before the first load. */
  readonly lastSyncAt: Date | null;
  readonly stale: boolean;
  readonly entries: Readonly<Record<RevocationType, number>>;
}

export interface Verifier {
  /** Resolves once the revocation list is loaded. Until then `verify` rejects with `ERR_LIST_STALE`. */
  ready(): Promise<void>;
  /**
   * Verifies signature and claims, then checks the revocation list.
   * Resolves with the claims, or rejects with a {@link RevocastError}:
   * `ERR_TOKEN_INVALID`, `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED`, `ERR_LIST_STALE` or `ERR_KEYS_UNAVAILABLE`.
   */
  verify(token: string): Promise<VerifiedClaims>;
  /**
   * Checks already-verified claims against the list, synchronously. Throws
   * `ERR_LIST_STALE` when the list is stale and the verifier fails closed.
   */
  isRevoked(claims: RevocationClaims): boolean;
  readonly status: VerifierStatus;
  /** Stops syncing and closes the connections the verifier opened. */
  close(): Promise<void>;
}

const DEFAULTS = {
  clockTolerance: 5,
  maxStaleness: 30,
  pollInterval: 1,
  commandTimeout: 2,
  maxTokenLength: 8192,
  requiredClaims: ['exp', 'jti'],
  heartbeatInterval: 2,
  tokenCacheEntries: 10_000,
  tokenCacheBytes: 16 * 1024 * 1024,
} as const;

function seconds(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalidOptions(`${name}: expected a number of seconds >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidOptions(`${name}: expected a whole number >= 1, got ${JSON.stringify(value)}`);
  return value;
}

function createTokenCache(option: false | TokenCacheOptions | undefined): TokenCache<VerifiedClaims> | undefined {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw invalidOptions('tokenCache: expected false or { maxEntries, maxBytes }');
  }
  return new TokenCache(
    positiveInteger('tokenCache.maxEntries', option?.maxEntries, DEFAULTS.tokenCacheEntries),
    positiveInteger('tokenCache.maxBytes', option?.maxBytes, DEFAULTS.tokenCacheBytes),
  );
}

/** Claims handed to many callers must not be changed by one of them. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Which key set a verification used: 0 for a fixed key, the JWKS fetch
 * count for a key set, -1 while that is unknown or due for a refresh.
 */
function keyVersion(key: ResolvedKey | undefined): number {
  if (key === undefined) return -1;
  if (key.kind === 'static') return 0;
  return key.fresh() ? key.version() : -1;
}

/**
 * Creates a verifier: JWT verification with `jose` plus a local revocation
 * list that Redis keeps current by push. Options are checked here, once.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   redis: process.env.REDIS_URL,
 *   key: publicJwk,
 *   algorithms: ['RS256'],
 *   issuer: 'https://auth.example.com',
 * });
 * await verifier.ready();
 * const claims = await verifier.verify(token);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const algorithms = checkAlgorithms(options.algorithms);
  const clockTolerance = seconds('clockTolerance', options.clockTolerance, DEFAULTS.clockTolerance);
  const maxStalenessMs = seconds('maxStaleness', options.maxStaleness, DEFAULTS.maxStaleness) * 1000;
  const pollIntervalMs = seconds('pollInterval', options.pollInterval, DEFAULTS.pollInterval, 0.01) * 1000;
  const commandTimeoutMs = seconds('commandTimeout', options.commandTimeout, DEFAULTS.commandTimeout, 0.01) * 1000;
  const maxTokenLength = options.maxTokenLength ?? DEFAULTS.maxTokenLength;
  const cache = createTokenCache(options.tokenCache);
  let cacheVersion = 0;
  const failOpen = options.failOpen ?? false;
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? consoleLogger;
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const prefixProblem = keyPrefixProblem(keyPrefix);
  if (prefixProblem !== undefined) throw invalidOptions(`keyPrefix ${prefixProblem}`);
  if ((options.redis === undefined) === (options.source === undefined)) {
    throw invalidOptions('give exactly one of redis (a URL or an ioredis client) and source');
  }
  if (typeof options.redis === 'string') {
    try {
      parseRedisTarget(options.redis);
    } catch (err) {
      if (err instanceof RedisUrlError) throw invalidOptions(`redis ${err.message}`);
      throw err;
    }
  }
  const heartbeatMs = seconds('heartbeatInterval', options.heartbeatInterval, DEFAULTS.heartbeatInterval) * 1000;
  const host = hostname();
  const id = options.id ?? `${host.replace(/[^A-Za-z0-9_.:@-]/g, '-').slice(0, 80)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (!isVerifierId(id)) throw invalidOptions('id: use 1 to 128 letters, digits, "_", ".", ":", "@" or "-"');

  // Imported once; a rejected import is reported by every verify() and by ready().
  const keyPromise: Promise<ResolvedKey> = resolveKey(options.key, options.jwksUri, algorithms);
  keyPromise.catch(() => {});
  let resolvedKey: ResolvedKey | undefined;
  void keyPromise.then((key) => (resolvedKey = key), () => {});

  const joseOptions: JWTVerifyOptions = {
    algorithms: [...algorithms],
    clockTolerance,
    requiredClaims: [...(options.requiredClaims ?? DEFAULTS.requiredClaims)],
  };
  if (options.issuer !== undefined) joseOptions.issuer = options.issuer as string | string[];
  if (options.audience !== undefined) joseOptions.audience = options.audience as string | string[];
  const customClock = options.clock !== undefined;

  const source =
    options.source ??
    new RedisSource({ redis: options.redis as string | RedisClient, keyPrefix, commandTimeoutMs, logger });

  // The metrics read the engine only when scraped, after it exists.
  const metrics: VerifierMetrics =
    options.registry === undefined
      ? NO_METRICS
      : createVerifierMetrics(options.registry, {
          counts: () => engine.list.counts(),
          appliedOffset: () => engine.position.offset,
          lastConfirmedAt: () => engine.lastConfirmedAt,
          stale: () => engine.isStale(clock()),
          clock,
        });
  const presence: PresenceReporter | undefined =
    source.presence === undefined || heartbeatMs === 0
      ? undefined
      : new PresenceReporter({
          channel: source.presence,
          id,
          host,
          sdkVersion: SDK_VERSION,
          intervalMs: heartbeatMs,
          clock,
          logger,
          view: () => ({ state: engine.state, position: engine.position, lastConfirmedAt: engine.lastConfirmedAt }),
        });
  const engine: SyncEngine = new SyncEngine({
    source,
    clock,
    toleranceMs: clockTolerance * 1000,
    pollIntervalMs,
    maxStalenessMs,
    logger,
    metrics,
    onStateChange: (state) => {
      logger.debug({ state }, 'verifier state changed');
      presence?.heartbeat();
    },
    // Acknowledgements answer "is this change applied?", which is not the same as "is the list current?".
    ...(presence === undefined ? {} : { onAdvanced: (position) => presence.onApplied(position) }),
  });

  async function verifySignature(token: string): Promise<VerifiedClaims> {
    if (typeof token !== 'string' || token.length === 0) throw tokenInvalid('token is missing or not a string');
    if (token.length > maxTokenLength) throw tokenInvalid(`token is longer than ${maxTokenLength} characters`);
    if (!isCompactJws(token)) throw tokenInvalid('token is not a JWS in compact serialisation (unpadded base64url segments)');
    const key = resolvedKey ?? (await keyPromise);
    const verifyOptions = customClock ? { ...joseOptions, currentDate: new Date(clock()) } : joseOptions;
    const { payload } =
      key.kind === 'jwks' ? await jwtVerify(token, key.getKey, verifyOptions) : await jwtVerify(token, key.key, verifyOptions);
    for (const claim of ['jti', 'sub', 'sid'] as const) {
      const value = payload[claim];
      if (value !== undefined && typeof value !== 'string') throw tokenInvalid(`"${claim}" claim must be a string`);
    }
    return payload as VerifiedClaims;
  }

  function toError(err: unknown): RevocastError {
    if (err instanceof RevocastError) return err;
    if (err instanceof joseErrors.JWTExpired) return new RevocastError('ERR_TOKEN_EXPIRED', 401, 'token has expired', { cause: err });
    if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) {
      return new RevocastError('ERR_KEYS_UNAVAILABLE', 503, 'the JSON Web Key Set could not be fetched', { cause: err });
    }
    if (err instanceof joseErrors.JOSEError) return tokenInvalid(`token is invalid: ${err.message}`, err);
    // Outside jose's own errors, a key set that cannot be fetched is the likely cause.
    if (options.jwksUri !== undefined) {
      return new RevocastError('ERR_KEYS_UNAVAILABLE', 503, 'the JSON Web Key Set could not be fetched', { cause: err });
    }
    return tokenInvalid('token is invalid', err);
  }

  function checkFreshness(now: number): boolean {
    if (!engine.isStale(now)) return false;
    if (failOpen) return true;
    metrics.rejected('stale');
    throw listStale(
      engine.lastConfirmedAt === Number.NEGATIVE_INFINITY
        ? 'revocation list is not loaded and confirmed current yet'
        : `revocation list has not been confirmed current for over ${maxStalenessMs / 1000} s`,
    );
  }

  function check(claims: RevocationClaims, now = clock()): void {
    const stale = checkFreshness(now);
    const result = engine.list.check(claims);
    if (result !== 'ok') {
      metrics.rejected(result);
      throw new TokenRevokedError(result);
    }
    if (stale) metrics.acceptedStale();
    else metrics.accepted();
  }

  /**
   * The claims of a token verified before, after checking its `exp` the way
   * jose does; `undefined` when it has to be verified in full.
   */
  function cached(token: string, now: number): VerifiedClaims | undefined {
    const cache_ = cache as TokenCache<VerifiedClaims>;
    const version = keyVersion(resolvedKey);
    if (version !== cacheVersion) {
      // The key set changed (or is being fetched): nothing verified before may stand.
      cache_.clear();
      cacheVersion = version;
    }
    if (version < 0) return undefined;
    const entry = cache_.get(token);
    if (entry === undefined) return undefined;
    if (entry.exp <= Math.floor(now / 1000) - clockTolerance) {
      cache_.delete(token);
      metrics.rejected('expired');
      throw new RevocastError('ERR_TOKEN_EXPIRED', 401, 'token has expired');
    }
    return entry.claims;
  }

  engine.start();
  presence?.start();

  return {
    async ready() {
      await keyPromise;
      await engine.ready();
    },
    async verify(token) {
      const cacheable = cache !== undefined && typeof token === 'string' && token.length <= maxTokenLength;
      if (cacheable) {
        const now = clock();
        const hit = cached(token, now);
        if (hit !== undefined) {
          check(hit, now);
          return hit;
        }
      }
      const version = keyVersion(resolvedKey);
      let claims: VerifiedClaims;
      try {
        claims = await verifySignature(token);
      } catch (err) {
        const error = toError(err);
        metrics.rejected(error.code === 'ERR_TOKEN_EXPIRED' ? 'expired' : 'invalid');
        throw error;
      }
      if (cacheable) {
        deepFreeze(claims);
        // Only a verification that began and ended on the same, settled key set may be reused.
        if (version >= 0 && keyVersion(resolvedKey) === version) {
          (cache as TokenCache<VerifiedClaims>).set(token, claims, typeof claims.exp === 'number' ? claims.exp : Number.POSITIVE_INFINITY);
        }
      }
      check(claims);
      return claims;
    },
    isRevoked(claims) {
      try {
        check(claims);
        return false;
      } catch (err) {
        if (err instanceof TokenRevokedError) return true;
        throw err;
      }
    },
    get status(): VerifierStatus {
      const lastConfirmedAt = engine.lastConfirmedAt;
      return {
        id,
        state: engine.state,
        epoch: engine.position.epoch,
        offset: engine.position.offset,
        lastSyncAt: Number.isFinite(lastConfirmedAt) ? new Date(lastConfirmedAt) : null,
        stale: engine.isStale(clock()),
        entries: engine.list.counts(),
      };
    },
    async close() {
      await presence?.close();
      await engine.close();
    },
  };
}
