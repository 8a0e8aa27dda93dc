import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { isRevocationType, type RevocationType } from '@revocast/verifier-sdk/protocol';
import { HttpProblem, validationProblem } from '../http/problem.js';
import { planRevocation, toApi } from '../model/revocation.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { RevocationStore } from '../store/revocation-store.js';
import { idField } from '../validation/fields.js';
import { parseListQuery, parseReinstateQuery } from '../validation/list-query.js';
import { parseRevocationInput } from '../validation/revocation-input.js';

export interface RevocationRoutesDeps {
  readonly store: RevocationStore;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly maxTokenTtlMs: number;
  readonly clock: () => number;
}

/** `req.is` is null without a body (answered as a missing object), false for another type. */
export function requireJson(req: Request): void {
  if (req.is('application/json') === false) {
    throw new HttpProblem(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
}

function target(req: Request): { type: RevocationType; id: string } {
  const { type, id } = req.params as { type: string; id: string };
  if (!isRevocationType(type)) {
    throw validationProblem([{ field: 'type', message: 'must be one of "token", "subject", "session"' }]);
  }
  const parsed = idField.safeParse(id);
  if (!parsed.success) throw validationProblem([{ field: 'id', message: parsed.error.issues[0]?.message ?? 'is invalid' }]);
  return { type, id: parsed.data };
}

/** `/v1/revocations`: revoke, list, show and reinstate. Mounted behind admin auth. */
export function revocationRoutes(deps: RevocationRoutesDeps): Router {
  const { store, logger, metrics, maxTokenTtlMs, clock } = deps;
  const router = Router();

  router.post('/', async (req: Request, res: Response) => {
    requireJson(req);
    const now = clock();
    const parsed = parseRevocationInput(req.body, now);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    const actor = res.locals.actor as string;
    const plan = planRevocation(parsed.value, { now, maxTokenTtlMs, actor });
    const stopTimer = metrics.publishDuration.startTimer({ op: 'revoke' });
    const { record, changed } = await store.revoke(plan, { actor, now });
    stopTimer();
    if (changed) {
      metrics.changes.inc({ type: record.type, op: 'revoke' });
      logger.info(
        { audit: { action: 'revoke', actor, type: record.type, id: record.id, reason: record.reason, offset: record.offset } },
        'revocation recorded',
      );
    }
    res.status(changed ? 201 : 200).json(toApi(record));
  });

  router.get('/', async (req: Request, res: Response) => {
    const parsed = parseListQuery(req.query);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    const page = await store.list(parsed.value);
    res.json({ items: page.items.map(toApi), nextCursor: page.nextCursor });
  });

  router.get('/:type/:id', async (req: Request, res: Response) => {
    const { type, id } = target(req);
    const record = await store.get(type, id);
    if (record === null) throw new HttpProblem(404, 'ERR_NOT_FOUND', `no ${type} revocation for ${JSON.stringify(id)}`);
    res.json(toApi(record));
  });

  router.delete('/:type/:id', async (req: Request, res: Response) => {
    const { type, id } = target(req);
    const query = parseReinstateQuery(req.query);
    if (!query.ok) throw validationProblem(query.errors);
    const actor = res.locals.actor as string;
    const now = clock();
    const stopTimer = metrics.publishDuration.startTimer({ op: 'reinstate' });
    const result = await store.reinstate(type, id, { actor, now });
    stopTimer();
    if (result === null) throw new HttpProblem(404, 'ERR_NOT_FOUND', `no ${type} revocation for ${JSON.stringify(id)}`);
    metrics.changes.inc({ type, op: 'reinstate' });
    logger.info(
      { audit: { action: 'reinstate', actor, type, id, reason: query.value.reason, offset: result.offset } },
      'revocation reinstated',
    );
    res.json({ reinstated: toApi(result.record), offset: result.offset });
  });

  return router;
}
