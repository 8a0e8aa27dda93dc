import { Router, type Request, type Response } from 'express';
import type { Message } from '@revocast/verifier-sdk/protocol';
import { readFleetStatus } from '../fleet/fleet-status.js';
import type { VerifierFleet } from '../fleet/verifier-fleet.js';
import { requireScope, type RejectionReason } from '../http/admin-auth.js';
import { openEventStream } from '../http/event-stream.js';
import { HttpProblem } from '../http/problem.js';
import { changeEventId, isNewerThan, parseChangeEventId, type ChangePosition } from './change-event-id.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';

export interface FleetRoutesDeps {
  readonly fleet: VerifierFleet | undefined;
  readonly metrics: ServiceMetrics;
  readonly clock: () => number;
  readonly onReject: (reason: RejectionReason) => void;
  /** Aborted when the process shuts down: open change streams end at once. */
  readonly closing?: AbortSignal;
}

/** A published change as the change stream shows it. */
export function changeToApi(message: Message): Record<string, unknown> {
  const { change } = message;
  const target = change.op === 'revoke' ? change.entry : change;
  return {
    epoch: message.epoch,
    offset: message.offset,
    op: change.op,
    type: target.type,
    id: target.id,
    at: new Date(change.at).toISOString(),
    ...(change.op === 'revoke' ? { expiresAt: new Date(change.entry.pruneAt).toISOString() } : {}),
    ...(change.op === 'revoke' && change.entry.cutoff !== undefined ? { before: change.entry.cutoff / 1000 } : {}),
  };
}

function requireFleet(fleet: VerifierFleet | undefined): VerifierFleet {
  if (fleet === undefined) throw new HttpProblem('ERR_NOT_CONFIGURED', 'this service was built without a view of the verifier fleet');
  return fleet;
}

/** `/v1/verifiers` (live verifiers and their lag) and `/v1/changes/stream` (every change, live). */
export function fleetRoutes(deps: FleetRoutesDeps): Router {
  const { metrics, clock, onReject } = deps;
  const router = Router();

  router.get('/v1/verifiers', requireScope('read', onReject), async (_req: Request, res: Response) => {
    const status = await readFleetStatus(requireFleet(deps.fleet), clock);
    const current = status.verifiers.filter((v) => v.lag.offsets === 0).length;
    const stale = status.verifiers.filter((v) => v.state === 'stale').length;
    res.json({ ...status, summary: { live: status.verifiers.length, current, behind: status.verifiers.length - current, stale } });
  });

  router.get('/v1/changes/stream', requireScope('read', onReject), async (req: Request, res: Response) => {
    const fleet = requireFleet(deps.fleet);
    const lastEventId = req.get('last-event-id');
    const resume = lastEventId === undefined || lastEventId === '' ? undefined : parseChangeEventId(lastEventId);
    if (lastEventId !== undefined && lastEventId !== '' && resume === undefined) {
      throw new HttpProblem('ERR_VALIDATION', 'Last-Event-ID: must be the id of an event this stream sent (<epoch>:<offset>:<streamId>)', {
        errors: [{ field: 'Last-Event-ID', message: 'must be <epoch>:<offset>:<streamId>' }],
      });
    }
    // Listen before replaying or answering, so no change made meanwhile is missed; the replay's copies are skipped.
    const changes: Message[] = [];
    let send: ((message: Message) => void) | undefined;
    const stop = await fleet.onChange((message) => (send === undefined ? changes.push(message) : send(message)));
    const stream = openEventStream(req, res, metrics, deps.closing);
    stream.onClose(stop);
    let open = true;
    stream.onClose(() => (open = false));
    let last: ChangePosition | undefined = resume;
    const deliver = (message: Message) => {
      if (!isNewerThan(message, last)) return;
      last = message;
      stream.send('change', changeToApi(message), changeEventId(message));
    };
    // Resuming: every change the Redis stream still holds after the client's last event, oldest first.
    if (resume !== undefined) {
      try {
        for (
          let message = await fleet.changeAfter(resume.streamId);
          open && message !== undefined;
          message = await fleet.changeAfter(message.streamId)
        ) {
          deliver(message);
        }
      } catch {
        // Redis failed mid-replay: end the stream; the client reconnects and resumes from its last event.
        res.end();
        return;
      }
    }
    send = deliver;
    for (const message of changes.splice(0)) deliver(message);
  });

  return router;
}
