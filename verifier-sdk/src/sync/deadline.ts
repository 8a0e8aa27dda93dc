/** A Redis command the verifier sent was not answered within `commandTimeout`. */
export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} was not answered within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Settles like `work`, or rejects with {@link DeadlineExceeded} if `work` has
 * not settled `ms` after the call.
 *
 * The deadline is measured against the answer's arrival, not against when
 * JavaScript got round to reading it. After the event loop was held (a long
 * synchronous task, a GC pause, a starved CPU), an expired timer and the
 * reply that came meanwhile are both ready, and Node runs timers before it
 * reads sockets: a plain timeout (ioredis's `commandTimeout`) then fails a
 * command that Redis answered in time, on every turn for as long as each
 * turn takes longer than the timeout, so a merely busy verifier could never
 * confirm its list and failed closed. Here the expired timer only schedules
 * the rejection with `setImmediate`, which runs after the poll phase of the
 * same turn: an answer already in the socket is read first and wins.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new DeadlineExceeded(what, ms));
      });
    }, ms);
    // A pending deadline must not keep the host process alive on its own.
    timer.unref();
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
