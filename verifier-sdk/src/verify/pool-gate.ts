/**
 * Decides when an elliptic-curve signature check (ES*, EdDSA) goes to
 * libuv's thread pool instead of running on the event loop, and bounds how
 * many are there at once.
 *
 * One check at a time is fastest on the event loop: the hop to the pool and
 * back costs about as much as an ES256 verification (70 µs here) and nothing
 * runs beside it. With many checks outstanding, the pool verifies on other
 * cores while the event loop parses the next tokens, which is how jose beat
 * every synchronous verifier for ES256 and EdDSA in flight.
 *
 * Checks are outstanding together when callers start them without waiting:
 * a second verification started in the same run of the event loop as
 * another (before any microtask ran) is the sign, and while checks are in
 * the pool or waiting for it, new ones join them. A caller that awaits each
 * verification before the next never meets either condition and keeps the
 * synchronous path.
 *
 * At most `limit` checks are in the pool at once (its threads are shared
 * with fs, dns and zlib): by default four per thread, which keeps every
 * thread busy while the event loop hands out the next (with one per thread
 * they idle between a check and the callback that sends the next: ES256 in
 * flight went from 12,700/s at 4 to 17,600/s at 16 here) and delays an fs
 * call behind them by about four checks, under 0.3 ms for ES256. The
 * others wait here, in order, and go as places free up. They must not run
 * on the event loop instead: a loop busy with synchronous checks runs no
 * pool callbacks, so the pool would sit idle until every caller was served.
 */
export class PoolGate {
  readonly #limit: number;
  #inPool = 0;
  readonly #waiting: Array<() => void> = [];
  #started = false;
  readonly #settle = () => {
    this.#started = false;
  };

  /** `limit`: most checks in the pool at once; by default four per pool thread. */
  constructor(limit = 4 * poolThreads()) {
    this.#limit = Math.max(1, limit);
  }

  /** Whether the next check should go to the pool ({@link run}); false means check it on the event loop now. */
  wanted(): boolean {
    if (this.#inPool > 0 || this.#started) return true;
    this.#started = true;
    queueMicrotask(this.#settle);
    return false;
  }

  /** Runs `check` in the pool when a place is free, after the checks that wait before it. */
  run<T>(check: () => Promise<T>): Promise<T> {
    const start = (): Promise<T> => {
      this.#inPool++;
      let work: Promise<T>;
      try {
        work = check();
      } catch (err) {
        work = Promise.reject(err);
      }
      const next = () => {
        this.#inPool--;
        this.#waiting.shift()?.();
      };
      work.then(next, next);
      return work;
    };
    if (this.#inPool < this.#limit) return start();
    return new Promise<T>((resolve, reject) => this.#waiting.push(() => start().then(resolve, reject)));
  }

  /** Checks in the pool now. */
  get inPool(): number {
    return this.#inPool;
  }

  /** Checks waiting for a place. */
  get waiting(): number {
    return this.#waiting.length;
  }
}

/** libuv's thread pool size: `UV_THREADPOOL_SIZE` when set (1 to 1024), 4 otherwise. */
export function poolThreads(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4;
}
