import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { adminAuth, type AdminKey } from './http/admin-auth.js';
import { errorHandler } from './http/error-handler.js';
import { HttpProblem } from './http/problem.js';
import { requestLog } from './http/request-log.js';
import { createServiceMetrics } from './metrics/service-metrics.js';
import { healthRoutes } from './routes/health.js';
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
  /** Registry for the service metrics; a new one by default. */
  readonly registry?: Registry;
  /** Largest accepted request body. Default `"16kb"`. */
  readonly bodyLimit?: string | number;
  /** Largest accepted body of `POST /v1/revocations/batch` (up to 10,000 items). Default `"10mb"`. */
  readonly batchBodyLimit?: string | number;
  /** Epoch milliseconds now; for tests. */
  readonly clock?: () => number;
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
  const { store, logger } = deps;
  const registry = deps.registry ?? new Registry();
  const metrics = createServiceMetrics(registry, () => store.counts());
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.locals.registry = registry;

  app.use(requestLog(logger, metrics));
  app.use(healthRoutes(store, registry));
  const routeDeps = { store, logger, metrics, maxTokenTtlMs: deps.maxTokenTtl * 1000, clock: deps.clock ?? Date.now };
  // Before the general mount: a batch needs its own, larger body limit.
  app.use(
    '/v1/revocations/batch',
    adminAuth(deps.adminKeys, () => metrics.authFailures.inc()),
    express.json({ limit: deps.batchBodyLimit ?? '10mb', strict: true, type: 'application/json' }),
    revocationBatchRoutes(routeDeps),
  );
  app.use(
    '/v1/revocations',
    adminAuth(deps.adminKeys, () => metrics.authFailures.inc()),
    express.json({ limit: deps.bodyLimit ?? '16kb', strict: true, type: 'application/json' }),
    revocationRoutes(routeDeps),
  );
  app.use((req) => {
    throw new HttpProblem(404, 'ERR_NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(logger));
  return app;
}
