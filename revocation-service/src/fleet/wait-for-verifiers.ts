import type { VerifierFleet } from './verifier-fleet.js';

/** How far one change has propagated: "applied on 12 of 12 verifiers in 4 ms". */
export interface Propagation {
  /** Live verifiers that have applied the change. */
  readonly applied: number;
  /** Live verifiers when the wait began, plus any that acknowledged while it ran. */
  readonly total: number;
  /** Milliseconds from the change being recorded to the last acknowledgement, or to the timeout. */
  readonly ms: number;
  /** True when every live verifier applied it before the timeout. */
  readonly complete: boolean;
  /** Ids of the verifiers that did not acknowledge in time. */
  readonly pending: readonly string[];
  readonly message: string;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** `performance.now()` when the change was recorded; the duration is measured from here. */
  readonly since: number;
}

/**
 * Collects acknowledgements of `target` until every id in `waiting` has
 * acknowledged or `timeoutMs` passes. It listens before it asks, so no
 * acknowledgement can be missed; ids outside `waiting` are collected too.
 */
export async function collectAcks(
  fleet: VerifierFleet,
  target: { epoch: string; offset: number },
  waiting: ReadonlySet<string>,
  timeoutMs: number,
): Promise<Set<string>> {
  const acked = new Set<string>();
  let remaining = waiting.size;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const stop = await fleet.onAck((ack) => {
    if (ack.epoch !== target.epoch || ack.offset < target.offset || acked.has(ack.id)) return;
    acked.add(ack.id);
    if (waiting.has(ack.id) && --remaining === 0) finish();
  });
  const timer = setTimeout(finish, timeoutMs);
  try {
    if (remaining > 0) {
      await fleet.requestAck(target.epoch, target.offset);
      await finished;
    }
  } finally {
    clearTimeout(timer);
    stop();
  }
  return acked;
}

/**
 * Waits until every live verifier has applied the change at `offset`, or
 * until the timeout: verifiers whose last report already shows it count at
 * once, the others are asked to acknowledge. Used by every endpoint that
 * takes `wait=all`.
 */
export async function waitForVerifiers(fleet: VerifierFleet, offset: number, options: WaitOptions): Promise<Propagation> {
  const { head, reports } = await fleet.snapshot();
  const applied = new Set<string>();
  const waiting = new Set<string>();
  for (const report of reports) {
    if (report.epoch === head.epoch && report.offset >= offset) applied.add(report.id);
    else waiting.add(report.id);
  }
  if (head.epoch !== null && waiting.size > 0) {
    const remaining = Math.max(0, options.timeoutMs - (performance.now() - options.since));
    for (const id of await collectAcks(fleet, { epoch: head.epoch, offset }, waiting, remaining)) applied.add(id);
  }
  const pending = [...waiting].filter((id) => !applied.has(id)).sort();
  const total = applied.size + pending.length;
  const ms = Math.max(0, Math.round(performance.now() - options.since));
  return {
    applied: applied.size,
    total,
    ms,
    complete: pending.length === 0,
    pending,
    message: describePropagation(applied.size, total, ms, pending),
  };
}

/** The one-line summary the API, the CLI and the console show. */
export function describePropagation(applied: number, total: number, ms: number, pending: readonly string[]): string {
  if (total === 0) return `no live verifiers to wait for (${ms} ms)`;
  const line = `applied on ${applied} of ${total} verifier${total === 1 ? '' : 's'} in ${ms} ms`;
  if (pending.length === 0) return line;
  const shown = pending.slice(0, 5).join(', ') + (pending.length > 5 ? `, and ${pending.length - 5} more` : '');
  return `${line} (timed out; not confirmed: ${shown})`;
}
