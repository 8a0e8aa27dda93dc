import { Router, type Request, type Response } from 'express';
import type { RevocationActions } from '../actions/revocation-actions.js';
import { requireScope, type RejectionReason } from '../http/admin-auth.js';
import { validationProblem } from '../http/problem.js';
import { toApi } from '../model/revocation.js';
import { parseBatchInput } from '../validation/batch-input.js';
import { parseChangeQuery } from '../validation/list-query.js';
import { checkCanWait, requireJson } from './revocations.js';

export interface RevocationBatchRoutesDeps {
  readonly actions: RevocationActions;
  readonly clock: () => number;
  readonly onReject: (reason: RejectionReason) => void;
}

/**
 * `POST /v1/revocations/batch`: up to 10,000 revocations in one call, for
 * incident response and bulk loads. All or nothing: one bad item and
 * nothing is written. The changes get one contiguous range of offsets and
 * reach verifiers as one message. Items already in force are answered
 * `changed: false`, as the single endpoint answers 200 for them.
 * `wait=all` waits for the last offset of the batch.
 */
export function revocationBatchRoutes(deps: RevocationBatchRoutesDeps): Router {
  const { actions, clock, onReject } = deps;
  const router = Router();

  router.post('/', requireScope('revoke', onReject), async (req: Request, res: Response) => {
    requireJson(req);
    const query = parseChangeQuery(req.query);
    if (!query.ok) throw validationProblem(query.errors);
    const parsed = parseBatchInput(req.body, clock());
    if (!parsed.ok) throw validationProblem(parsed.errors);
    checkCanWait(actions, query.value);
    const { results, offsets, propagation } = await actions.revokeBatch(parsed.value, res.locals.actor as string, query.value);
    const changed = results.filter((result) => result.changed).length;
    res.status(changed > 0 ? 201 : 200).json({
      changed,
      unchanged: results.length - changed,
      offsets,
      items: results.map((result) => ({ ...toApi(result.record), changed: result.changed })),
      ...(propagation === undefined ? {} : { propagation }),
    });
  });

  return router;
}
