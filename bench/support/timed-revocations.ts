/**
 * Revocations whose acknowledgement is timed by the service itself (the
 * `x-answered-at` header of bench-service.ts, on the machine-wide monotonic
 * clock), and the delays until a fleet applied them (see fleet.ts).
 */
import { sortedCopy } from './stats.js';

/** When a revocation was sent (the caller's clock reading) and when the service answered it. */
export interface Acknowledged {
  readonly sent: number;
  readonly answeredAt: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Revokes one jti; records its offset's acknowledgement in `acks`. A 503
 * (the store did not answer in time: an overloaded machine) is counted in
 * `refused` rather than failing the run; the change may still have been
 * written, so offsets are read from Redis, not counted from the calls.
 */
export async function revokeTimed(
  baseUrl: string,
  adminSecret: string,
  jti: string,
  exp: number,
  acks: Map<number, Acknowledged>,
  refused: { count: number },
): Promise<void> {
  const sent = nowMs();
  const res = await fetch(`${baseUrl}/v1/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminSecret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'token', jti, exp }),
  });
  if (res.status === 503) {
    await res.arrayBuffer();
    refused.count++;
    return;
  }
  const answeredAt = Number(res.headers.get('x-answered-at'));
  const body = (await res.json()) as { offset?: number };
  if (res.status !== 201 || body.offset === undefined || !Number.isFinite(answeredAt))
    throw new Error(`revoking ${jti}: HTTP ${res.status}`);
  acks.set(body.offset, { sent, answeredAt });
}

export interface Delays {
  /** Per revocation: ms from the acknowledgement until the last verifier applied it (0 when every one had it before). */
  readonly all: Float64Array;
  /** Per revocation and verifier: ms from the acknowledgement to applying it (negative: before the answer). */
  readonly each: Float64Array;
  /** Applications that never happened. */
  readonly missing: number;
  /** Offsets in the range without an acknowledgement (their call was answered 503): not counted. */
  readonly unacknowledged: number;
}

/**
 * The delays of the acknowledged offsets `first` to `last` for which
 * `counted` holds, from `times` as Fleet.report gives them.
 */
export function propagationDelays(
  acks: ReadonlyMap<number, Acknowledged>,
  times: Float64Array,
  first: number,
  last: number,
  receivers: number,
  counted: (ack: Acknowledged) => boolean,
): Delays {
  const all: number[] = [];
  const each: number[] = [];
  let missing = 0;
  let unacknowledged = 0;
  for (let o = first; o <= last; o++) {
    const ack = acks.get(o);
    if (ack === undefined) {
      unacknowledged++;
      continue;
    }
    if (!counted(ack)) continue;
    let latest = Number.NEGATIVE_INFINITY;
    for (let r = 0; r < receivers; r++) {
      const at = times[(o - first) * receivers + r] as number;
      if (Number.isNaN(at)) {
        missing++;
        continue;
      }
      each.push(at - ack.answeredAt);
      if (at > latest) latest = at;
    }
    all.push(Math.max(0, latest - ack.answeredAt));
  }
  return { all: sortedCopy(all), each: sortedCopy(each), missing, unacknowledged };
}
