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
import {
  DEFAULT_CLOCK_TOLERANCE,
  DEFAULT_REQUIRED_CLAIMS,
  createClaimsValidator,
  hasExpired,
  type ClaimsValidator,
  type VerifiedClaims,
} from './claims.js';
import { checkAlgorithms, type VerificationKey } from './key-material.js';
import { createSignatureVerifier } from './signature-verifier.js';
import { DEFAULT_TOKEN_CACHE, TokenCache } from './token-cache.js';
import { tokenHash } from './token-hash.js';
import { TokenDoorkeeper } from './token-doorkeeper.js';

/** Bounds of the verified-token cache; see {@link VerifierOptions.tokenCache}. */
export interface TokenCacheOptions {
  /** Most tokens kept. Default 50,000 (see BENCHMARKS.md, mixed workload, for why). */
  readonly maxEntries?: number;
  /** Most memory kept, in approximate bytes (three per token character plus 128 per entry). Default 48 MiB. */
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
  /**
   * Whether elliptic-curve signature checks (ES*, EdDSA) may run on libuv's
   * thread pool when many verifications are outstanding at once (started
   * without awaiting each other, as `Promise.all` does), so they use the
   * other cores. A verification awaited before the next is always checked
   * on the event loop; HMAC and RSA always are (the hop costs more). At
   * most four checks per pool thread (`UV_THREADPOOL_SIZE`, 4 by default)
   * are in the pool at once; the others wait their turn. Default true.
   */
  readonly threadPool?: boolean;
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
   * A token is cached on its second sighting, so the many seen only once
   * cost no insertion. Every call still checks `exp` (with `clockTolerance`), the revocation
   * list and staleness. The cache is emptied whenever the JWKS is fetched
   * again, and bypassed once the JWKS is due for a refresh, so a retired key
   * stops working as it would without the cache. With the cache on, claims
   * are always frozen; a cached token's are one object shared by every
   * call. `false` turns the cache off.
   * Default `{ maxEntries: 50000, maxBytes: 48 MiB }`: at 100,000 users
   * with Zipf traffic and tokens re-issued every 15 minutes it answers about
   * 84% of calls, within a point of what admission on a second sighting
   * allows there (see BENCHMARKS.md, mixed workload).
   */
  readonly tokenCache?: false | TokenCacheOptions;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
}

export type { VerifiedClaims } from './claims.js';

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
  /**
   * Resolves once the key is loaded and the revocation list is loaded and
   * confirmed current (with PostgreSQL as the record, that takes a record
   * watermark the service writes every outbox interval). Until then `verify`
   * rejects with `ERR_LIST_STALE`; it waits as long as that takes, so give it
   * a timeout of your own if you must.
   */
  ready(): Promise<void>;
  /**
   * Verifies signature and claims, then checks the revocation list.
   * Resolves with the claims, or rejects with a {@link RevocastError}:
   * `ERR_TOKEN_INVALID`, `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED`, `ERR_LIST_STALE` or `ERR_KEYS_UNAVAILABLE`.
   */
  verify(token: string): Promise<VerifiedClaims>;
  /**
   * Judges claims whose signature was verified elsewhere (by express-jwt,
   * @fastify/jwt or your own code) exactly as `verify` judges a token's
   * claims (required claims, `iss`, `aud`, `exp`/`nbf`/`iat` with
   * `clockTolerance`, finite numbers, ids), then checks the revocation list,
   * synchronously. Returns the claims, or throws a {@link RevocastError}:
   * `ERR_TOKEN_INVALID`, `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED` or `ERR_LIST_STALE`.
   */
  verifyClaims(claims: unknown): VerifiedClaims;
  /**
   * Whether claims must be refused by the list, synchronously: `true` when a
   * revocation matches, and also when a claim present is malformed or out of
   * time (`jti`/`sub`/`sid` not a valid id; `exp`/`nbf`/`iat` not a finite
   * number; `exp` passed, `nbf` or `iat` in the future beyond
   * `clockTolerance`), so a malformed claim never reads as "not revoked".
   * Unlike {@link Verifier.verifyClaims} it does not require claims to be
   * present nor check `iss`/`aud`, so `{ sub, iat }` can be asked about.
   * Throws `ERR_LIST_STALE` when the list is stale and the verifier fails closed.
   */
  isRevoked(claims: RevocationClaims): boolean;
  readonly status: VerifierStatus;
  /** Stops syncing and closes the connections the verifier opened. */
  close(): Promise<void>;
}

const DEFAULTS = {
  clockTolerance: DEFAULT_CLOCK_TOLERANCE,
  maxStaleness: 30,
  pollInterval: 1,
  commandTimeout: 2,
  maxTokenLength: 8192,
  requiredClaims: DEFAULT_REQUIRED_CLAIMS,
  heartbeatInterval: 2,
  tokenCacheEntries: DEFAULT_TOKEN_CACHE.maxEntries,
  tokenCacheBytes: DEFAULT_TOKEN_CACHE.maxBytes,
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
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalidOptions(`${name}: expected a whole number >= 1, got ${JSON.stringify(value)}`);
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

/**
 * Claims handed to many callers must not be changed by one of them. Walked
 * with an explicit stack, made only when there is nesting: a signed payload
 * may nest thousands of levels deep, and most are flat. Only JSON.parse
 * output reaches it (own enumerable data properties, no getters).
 */
function deepFreeze<T>(value: T): T {
  let pending: object[] | undefined;
  let next: unknown = value;
  for (;;) {
    if (typeof next === 'object' && next !== null && !Object.isFrozen(next)) {
      Object.freeze(next);
      for (const name in next) {
        const inner = (next as Record<string, unknown>)[name];
        if (typeof inner === 'object' && inner !== null) {
          pending ??= [];
          pending.push(inner);
        }
      }
    }
    if (pending === undefined || pending.length === 0) return value;
    next = pending.pop();
  }
}

/**
 * Creates a verifier: JWT verification (node:crypto, synchronous, with jose
 * for key sets) plus a local revocation list that Redis keeps current by
 * push. Options are checked here, once.
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
  // A verified token is cached on its second sighting: one seen once would cost an insertion and never be read.
  const doorkeeper = cache === undefined ? undefined : new TokenDoorkeeper(TokenDoorkeeper.slotsFor(cache.maxEntries));
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
  const id =
    options.id ?? `${host.replace(/[^A-Za-z0-9_.:@-]/g, '-').slice(0, 80)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (!isVerifierId(id)) throw invalidOptions('id: use 1 to 128 letters, digits, "_", ".", ":", "@" or "-"');

  // The signature core (key loaded and bound once), then the one claims validator.
  const signatures = createSignatureVerifier({
    algorithms,
    maxTokenLength,
    ...(options.threadPool === undefined ? {} : { threadPool: options.threadPool }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
  });
  const requiredClaims = options.requiredClaims ?? DEFAULTS.requiredClaims;
  if (!Array.isArray(requiredClaims) || requiredClaims.some((claim) => typeof claim !== 'string')) {
    throw invalidOptions('requiredClaims: expected an array of claim names');
  }
  const validateClaims: ClaimsValidator = createClaimsValidator({
    clockTolerance,
    requiredClaims,
    issuer: options.issuer,
    audience: options.audience,
    clock,
  });
  // isRevoked judges what is there: it may be asked about `{ sub, iat }` alone.
  const validatePresentClaims: ClaimsValidator = createClaimsValidator({ clockTolerance, requiredClaims: [], clock });

  const source = options.source ?? new RedisSource({ redis: options.redis as string | RedisClient, keyPrefix, commandTimeoutMs, logger });

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

  function toError(err: unknown): RevocastError {
    return err instanceof RevocastError ? err : tokenInvalid('token is invalid', err);
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
   * The claims of a token verified before, after checking its `exp` by the
   * claims rule and the list; `undefined` when it has to be verified in
   * full. `nbf` and `iat` held when it was verified, so they hold now unless
   * the clock went back. The clock is read only for a hit: a miss pays for
   * the full check, which reads it.
   */
  function cached(token: string, hash: number): VerifiedClaims | undefined {
    const cache_ = cache as TokenCache<VerifiedClaims>;
    const version = signatures.keyVersion();
    if (version !== cacheVersion) {
      // The key set changed (or is being fetched): nothing verified before may stand.
      cache_.clear();
      cacheVersion = version;
    }
    if (version < 0) return undefined;
    const entry = cache_.get(token, hash);
    if (entry === undefined) return undefined;
    const now = clock();
    if (now < entry.verifiedAt) return undefined;
    if (hasExpired(entry.exp, now, clockTolerance)) {
      cache_.delete(token, hash);
      metrics.rejected('expired');
      throw new RevocastError('ERR_TOKEN_EXPIRED', 401, 'token has expired');
    }
    check(entry.claims, now);
    return entry.claims;
  }

  /** The error a failed verification reaches the caller as, counted once. */
  function rejection(err: unknown): RevocastError {
    const error = toError(err);
    metrics.rejected(error.code === 'ERR_TOKEN_EXPIRED' ? 'expired' : 'invalid');
    return error;
  }

  /**
   * Signature, claims and list, for a token the cache cannot answer.
   * Synchronous with a fixed key, so a never-seen token costs what its
   * signature costs, without a promise of its own; a promise with a key set
   * or when an elliptic-curve check went to the thread pool.
   */
  function verifyInFull(token: string, hash: number): VerifiedClaims | Promise<VerifiedClaims> {
    const version = signatures.keyVersion();
    let payload: Record<string, unknown> | Promise<Record<string, unknown>>;
    try {
      payload = signatures.verify(token);
    } catch (err) {
      throw rejection(err);
    }
    if (payload instanceof Promise) {
      return payload.then(
        (resolved) => judge(token, resolved, version, hash),
        (err: unknown) => {
          throw rejection(err);
        },
      );
    }
    return judge(token, payload, version, hash);
  }

  /**
   * Claims and list for a payload whose signature verified with keys of
   * `version`; caches it when it may. `hash` is the token's {@link tokenHash},
   * or -1 when the token is not cacheable.
   */
  function judge(token: string, payload: Record<string, unknown>, version: number, hash: number): VerifiedClaims {
    const verifiedAt = clock();
    let claims: VerifiedClaims;
    try {
      claims = validateClaims(payload, verifiedAt);
    } catch (err) {
      throw rejection(err);
    }
    if (hash >= 0) {
      deepFreeze(claims);
      // Only a verification that began and ended on the same, settled key set may be reused.
      if (version >= 0 && signatures.keyVersion() === version && (doorkeeper as TokenDoorkeeper).admit(token, hash)) {
        (cache as TokenCache<VerifiedClaims>).set(token, claims, claims.exp ?? Number.POSITIVE_INFINITY, verifiedAt, hash);
      }
    }
    check(claims, verifiedAt);
    return claims;
  }

  /** Whatever goes wrong below reaches the caller as a RevocastError, counted once. */
  function refusal(err: unknown): RevocastError {
    if (err instanceof RevocastError) return err;
    metrics.rejected('invalid');
    return tokenInvalid('token is invalid', err);
  }

  /**
   * The one verification: the claims when no wait is needed (a cache hit, a
   * fixed key's HMAC or RSA check), a promise of them otherwise (a key set,
   * a check on the thread pool); a refusal is thrown, or rejects the promise.
   */
  function verifyNow(token: string): VerifiedClaims | Promise<VerifiedClaims> {
    try {
      // One hash of the token serves the cache lookup, the doorkeeper and the insertion.
      const hash = cache !== undefined && typeof token === 'string' && token.length <= maxTokenLength ? tokenHash(token) : -1;
      if (hash >= 0) {
        const hit = cached(token, hash);
        if (hit !== undefined) return hit;
      }
      const full = verifyInFull(token, hash);
      return full instanceof Promise
        ? full.then(undefined, (err: unknown) => {
            throw refusal(err);
          })
        : full;
    } catch (err) {
      throw refusal(err);
    }
  }

  engine.start();
  presence?.start();

  const verifier: Verifier = {
    async ready() {
      await signatures.ready();
      await engine.ready();
      await engine.confirmed();
    },
    verify(token) {
      try {
        return Promise.resolve(verifyNow(token));
      } catch (err) {
        return Promise.reject(err);
      }
    },
    verifyClaims(claims) {
      let valid: VerifiedClaims;
      try {
        valid = validateClaims(claims);
      } catch (err) {
        metrics.rejected((err as RevocastError).code === 'ERR_TOKEN_EXPIRED' ? 'expired' : 'invalid');
        throw err;
      }
      check(valid);
      return valid;
    },
    isRevoked(claims) {
      let valid: VerifiedClaims;
      try {
        valid = validatePresentClaims(claims);
      } catch {
        metrics.rejected('invalid');
        return true;
      }
      try {
        check(valid);
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
  immediateForms.set(verifier, verifyNow);
  return verifier;
}

/** {@link Verifier.verify} without the promise when the answer needs no wait; see {@link immediateVerify}. */
export type ImmediateVerify = (token: string) => VerifiedClaims | Promise<VerifiedClaims>;

const immediateForms = new WeakMap<Verifier, ImmediateVerify>();

/**
 * The synchronous form of a verifier made by {@link createVerifier}: the
 * same verification, returning the claims themselves when nothing had to be
 * awaited (a cache hit, a fixed key's HMAC or RSA check) and throwing the
 * refusal, so a framework integration can go on in the same tick; a promise
 * otherwise. Any other object with a `verify` method gets its promise form.
 */
export function immediateVerify(verifier: Verifier): ImmediateVerify {
  return immediateForms.get(verifier) ?? ((token) => Promise.resolve(verifier.verify(token)));
}
