import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createRevocationActions } from './actions/revocation-actions.js';
import { adminConsole } from './console/console-routes.js';
import { readFleetStatus } from './fleet/fleet-status.js';
import type { VerifierFleet } from './fleet/verifier-fleet.js';
import { adminAuth, createKeyring, type AdminKey, type RejectionReason } from './http/admin-auth.js';
import { memoryAdminState, type AdminState } from './admin-state/admin-state.js';
import { failSafeAdminState } from './admin-state/fail-safe-admin-state.js';
import { AuthThrottle } from './http/auth-throttle.js';
import { DEFAULTS } from './config/defaults.js';
import { jsonBody } from './http/body-parsers.js';
import { errorHandler } from './http/error-handler.js';
import { methodNotAllowed } from './http/method-not-allowed.js';
import { HttpProblem } from './http/problem.js';
import { RateLimiter, type RateLimit } from './http/rate-limiter.js';
import { requestLog } from './http/request-log.js';
import { createServiceMetrics } from './metrics/service-metrics.js';
import { ROUTES } from './openapi/route-table.js';
import type { TokenInspector } from './oauth/token-inspector.js';
import { fleetRoutes } from './routes/fleet.js';
import { healthRoutes } from './routes/health.js';
import { oauthRoutes } from './routes/oauth.js';
import { revocationBatchRoutes } from './routes/revocation-batch.js';
import { revocationRoutes } from './routes/revocations.js';
import type { RevocationStore } from './store/revocation-store.js';

export interface AppDeps {
  readonly store: RevocationStore;
  /** Keys allowed to call the admin API. None: every admin call is refused. */
  readonly adminKeys: readonly AdminKey[];
  readonly logger: Logger;
  /** The longest lifetime of a token, in seconds: subject revocations last this long past their cutoff. */
  readonly maxTokenTtl: number;
  /** The verifiers' reports and acknowledgements: `/v1/verifiers`, `wait=all` and the change stream need it. */
  readonly fleet?: VerifierFleet;
  /** Verifies the tokens handed to `/oauth2/revoke` and `/oauth2/introspect`; without it they answer 501. */
  readonly tokenInspector?: TokenInspector;
  /** Registry for the service metrics; a new one by default. */
  readonly registry?: Registry;
  /** Largest accepted request body. Default `"16kb"`. */
  readonly bodyLimit?: string | number;
  /** Largest accepted body of `POST /v1/revocations/batch` (up to 10,000 items). Default `"10mb"`. */
  readonly batchBodyLimit?: string | number;
  /**
   * Failed admin authentications (wrong API keys, wrong console sign-ins)
   * allowed per client address before further failures are answered 429.
   * Default 10 a minute; `null` for no limit. Valid keys always pass.
   */
  readonly authFailureLimit?: RateLimit | null;
  /**
   * Where the rate-limit buckets, the failed-authentication buckets and the
   * console sessions live. Default: in this process, which suits one
   * instance on the in-memory store. With several replicas give each
   * `openRedisAdminState(...)` on the same Redis and key prefix, so they
   * share one budget per key and every console session. The caller closes it.
   */
  readonly adminState?: AdminState;
  /** Express `trust proxy`: set it behind a TLS-terminating proxy so console cookies are marked Secure. */
  readonly trustProxy?: boolean | number | string;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
  /**
   * Abort it when the process shuts down: open change streams (the API's and
   * the console's) end at once instead of holding the shutdown open.
   */
  readonly closing?: AbortSignal;
}

/**
 * Builds the revocation service's Express app. Nothing global: every
 * dependency comes in `deps`, so tests can build several side by side.
 *
 * @example
 * ```ts
 * const app = createApp({ store, adminKeys: [{ name: 'ops', secret }], logger, maxTokenTtl: 86400 });
 * app.listen(8080);
 * ```
 */
export function createApp(deps: AppDeps): Express {
  const { store, logger, fleet } = deps;
  const clock = deps.clock ?? Date.now;
  const registry = deps.registry ?? new Registry();
  const metrics = createServiceMetrics(
    registry,
    () => store.counts(),
    fleet === undefined ? undefined : () => readFleetStatus(fleet, clock),
  );
  const onReject = (reason: RejectionReason) => metrics.adminRejections.inc({ reason });
  const keyring = createKeyring(deps.adminKeys);
  const adminState = failSafeAdminState(deps.adminState ?? memoryAdminState(clock), {
    logger,
    clock,
    onFailure: (feature) => metrics.adminStateFailures.inc({ feature }),
  });
  const limiter = new RateLimiter(
    new Map(deps.adminKeys.flatMap((key): Array<[string, RateLimit]> => (key.rateLimit === undefined ? [] : [[key.name, key.rateLimit]]))),
    adminState.buckets,
  );
  const throttle = new AuthThrottle(
    deps.authFailureLimit === null ? undefined : (deps.authFailureLimit ?? DEFAULTS.authFailureLimit),
    adminState.buckets,
    (client) =>
      // The address only: never the key that was tried.
      logger.warn({ client }, 'admin authentication keeps failing from this address; its further failures are answered 429'),
  );
  const actions = createRevocationActions({
    store,
    logger,
    metrics,
    maxTokenTtlMs: deps.maxTokenTtl * 1000,
    clock,
    ...(fleet === undefined ? {} : { fleet }),
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxy !== undefined) app.set('trust proxy', deps.trustProxy);
  app.locals.registry = registry;

  app.use(requestLog(logger, metrics));
  app.use(healthRoutes(store, registry));
  app.use(
    '/admin',
    adminConsole({
      store,
      actions,
      fleet,
      keyring,
      limiter,
      throttle,
      sessions: adminState.sessions,
      metrics,
      logger,
      clock,
      onReject,
      ...(deps.closing === undefined ? {} : { closing: deps.closing }),
    }),
  );
  const auth = adminAuth(keyring, limiter, throttle, onReject);
  app.use('/oauth2', oauthRoutes({ store, actions, metrics, inspector: deps.tokenInspector, clock, onReject, auth }));
  app.use('/v1', auth);
  // Before the general mount: a batch needs its own, larger body limit.
  app.use(
    '/v1/revocations/batch',
    jsonBody(deps.batchBodyLimit ?? DEFAULTS.batchBodyLimit),
    revocationBatchRoutes({ actions, clock, onReject }),
  );
  app.use('/v1/revocations', jsonBody(deps.bodyLimit ?? DEFAULTS.bodyLimit), revocationRoutes({ store, actions, clock, onReject }));
  app.use(fleetRoutes({ fleet, metrics, clock, onReject, ...(deps.closing === undefined ? {} : { closing: deps.closing }) }));
  app.use(methodNotAllowed(ROUTES));
  app.use((req) => {
    throw new HttpProblem('ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(logger));
  return app;
}
