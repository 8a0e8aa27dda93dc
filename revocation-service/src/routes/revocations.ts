import { Router, type Request, type Response } from 'express';
import { isRevocationType, type RevocationType } from '@revocast/verifier-sdk/protocol';
import type { RevocationActions, WaitRequest } from '../actions/revocation-actions.js';
import { requireScope, type RejectionReason } from '../http/admin-auth.js';
import { HttpProblem, validationProblem } from '../http/problem.js';
import { toApi } from '../model/revocation.js';
import type { RevocationStore } from '../store/revocation-store.js';
import { idField } from '../validation/fields.js';
import { parseChangeQuery, parseListQuery, parseReinstateQuery } from '../validation/list-query.js';
import { parseRevocationInput } from '../validation/revocation-input.js';

export interface RevocationRoutesDeps {
  readonly store: RevocationStore;
  readonly actions: RevocationActions;
  readonly clock: () => number;
  readonly onReject: (reason: RejectionReason) => void;
}

/** `req.is` is null without a body (answered as a missing object), false for another type. */
export function requireJson(req: Request): void {
  if (req.is('application/json') === false) {
    throw new HttpProblem('ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
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

/** `wait=all` needs a view of the verifiers; say so instead of answering as if nobody were listening. */
export function checkCanWait(actions: RevocationActions, wait: WaitRequest | undefined): void {
  if (wait !== undefined && !actions.canWait) {
    throw new HttpProblem('ERR_NOT_CONFIGURED', 'wait=all needs the verifier fleet, which this service was built without');
  }
}

/** `/v1/revocations`: revoke, list, show and reinstate. Mounted behind admin auth. */
export function revocationRoutes(deps: RevocationRoutesDeps): Router {
  const { store, actions, clock, onReject } = deps;
  const router = Router();

  router.post('/', requireScope('revoke', onReject), async (req: Request, res: Response) => {
    requireJson(req);
    const query = parseChangeQuery(req.query);
    if (!query.ok) throw validationProblem(query.errors);
    const parsed = parseRevocationInput(req.body, clock());
    if (!parsed.ok) throw validationProblem(parsed.errors);
    checkCanWait(actions, query.value);
    const { record, changed, propagation } = await actions.revoke(parsed.value, res.locals.actor as string, query.value);
    res.status(changed ? 201 : 200).json({ ...toApi(record), ...(propagation === undefined ? {} : { propagation }) });
  });

  router.get('/', requireScope('read', onReject), async (req: Request, res: Response) => {
    const parsed = parseListQuery(req.query);
    if (!parsed.ok) throw validationProblem(parsed.errors);
    const page = await store.list(parsed.value);
    res.json({ items: page.items.map(toApi), nextCursor: page.nextCursor });
  });

  router.get('/:type/:id', requireScope('read', onReject), async (req: Request, res: Response) => {
    const { type, id } = target(req);
    const record = await store.get(type, id);
    if (record === null) throw new HttpProblem('ERR_NOT_FOUND', `no ${type} revocation for ${JSON.stringify(id)}`);
    res.json(toApi(record));
  });

  router.delete('/:type/:id', requireScope('reinstate', onReject), async (req: Request, res: Response) => {
    const { type, id } = target(req);
    const query = parseReinstateQuery(req.query);
    if (!query.ok) throw validationProblem(query.errors);
    checkCanWait(actions, query.value.wait);
    const result = await actions.reinstate(type, id, res.locals.actor as string, query.value.reason, query.value.wait);
    if (result === null) throw new HttpProblem('ERR_NOT_FOUND', `no ${type} revocation for ${JSON.stringify(id)}`);
    const { propagation } = result;
    res.json({ reinstated: toApi(result.record), offset: result.offset, ...(propagation === undefined ? {} : { propagation }) });
  });

  return router;
}
