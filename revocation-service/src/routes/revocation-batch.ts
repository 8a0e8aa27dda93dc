import { Router, type Request, type Response } from 'express';
import type { RevocationType } from '@revocast/verifier-sdk/protocol';
import { validationProblem } from '../http/problem.js';
import { planRevocation, toApi } from '../model/revocation.js';
import { parseBatchInput } from '../validation/batch-input.js';
import { requireJson, type RevocationRoutesDeps } from './revocations.js';

/**
 * `POST /v1/revocations/batch`: up to 10,000 revocations in one call, for
 * incident response and bulk loads. All or nothing: one bad item and
 * nothing is written. The changes get one contiguous range of offsets and
 * reach verifiers as one message. Items already in force are answered
 * `changed: false`, as the single endpoint answers 200 for them.
 */
export function revocationBatchRoutes(deps: RevocationRoutesDeps): Router {
  const { store, logger, metrics, maxTokenTtlMs, clock } = deps;
  const router = Router();

  router.post('/', async (req: Request, res: Response) => {
    requireJson(req);
    const now = clock();
    const parsed = parseBatchInput(req.body, now);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    const actor = res.locals.actor as string;
    const plans = parsed.value.map((input) => planRevocation(input, { now, maxTokenTtlMs, actor }));
    const stopTimer = metrics.publishDuration.startTimer({ op: 'revoke-batch' });
    const { results, offsets } = await store.revokeBatch(plans, { actor, now });
    stopTimer();
    const changedByType: Record<RevocationType, number> = { token: 0, subject: 0, session: 0 };
    for (const { record, changed } of results) {
      if (!changed) continue;
      changedByType[record.type]++;
      logger.info(
        { audit: { action: 'revoke', actor, type: record.type, id: record.id, reason: record.reason, offset: record.offset, batch: true } },
        'revocation recorded',
      );
    }
    for (const [type, count] of Object.entries(changedByType)) if (count > 0) metrics.changes.inc({ type, op: 'revoke' }, count);
    const changed = results.filter((result) => result.changed).length;
    res.status(changed > 0 ? 201 : 200).json({
      changed,
      unchanged: results.length - changed,
      offsets,
      items: results.map((result) => ({ ...toApi(result.record), changed: result.changed })),
    });
  });

  return router;
}
