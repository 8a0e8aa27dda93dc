import type { ChildProcess } from 'node:child_process';
import { spawnTs, stop } from './processes.js';

type Reply = { ready: true } | { progress: number } | { report: Float64Array; swept: number; cpuMs: number };

/** One child of bench/support/fleet-verifiers.ts, answering one request at a time. */
class FleetProcess {
  readonly #child: ChildProcess;
  readonly #waiting: Array<(reply: Reply) => void> = [];
  readonly ready: Promise<void>;

  constructor(env: Record<string, string>, nice: number) {
    this.#child = spawnTs('bench/support/fleet-verifiers.ts', env, 'advanced', nice);
    this.#child.on('message', (reply: Reply) => this.#waiting.shift()?.(reply));
    this.ready = new Promise((resolve, reject) => {
      this.#waiting.push(() => resolve());
      this.#child.once('exit', (code) => reject(new Error(`verifier process exited with ${code}`)));
    });
  }

  ask(request: Record<string, unknown>): Promise<Reply> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.send(request);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.connected) this.#child.send({ stop: true });
    await stop(this.#child);
  }
}

/**
 * Verifiers spread over several processes, each verifier with its own
 * connections, reporting when they applied each offset (see
 * fleet-verifiers.ts). Receivers are numbered process by process.
 */
export class Fleet {
  readonly #processes: FleetProcess[];
  readonly perProcess: number;

  private constructor(processes: FleetProcess[], perProcess: number) {
    this.#processes = processes;
    this.perProcess = perProcess;
  }

  /**
   * Starts `processes` x `perProcess` verifiers on `redisUrl` and waits
   * until every one is ready. `nice` lowers their priority (see spawnTs).
   */
  static async start(options: {
    processes: number;
    perProcess: number;
    redisUrl: string;
    keyPrefix: string;
    nice?: number;
  }): Promise<Fleet> {
    const env = { REDIS_URL: options.redisUrl, KEY_PREFIX: options.keyPrefix, COUNT: String(options.perProcess) };
    const processes = Array.from({ length: options.processes }, () => new FleetProcess(env, options.nice ?? 0));
    const fleet = new Fleet(processes, options.perProcess);
    try {
      await Promise.all(processes.map((p) => p.ready));
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  get size(): number {
    return this.#processes.length * this.perProcess;
  }

  /** The lowest offset any verifier has applied. */
  async progress(): Promise<number> {
    const replies = await Promise.all(this.#processes.map((p) => p.ask({ progress: true })));
    return Math.min(...replies.map((reply) => ('progress' in reply ? reply.progress : 0)));
  }

  /** Resolves once every verifier has applied `offset`; rejects after `timeoutMs`. */
  async reach(offset: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while ((await this.progress()) < offset) {
      if (performance.now() > deadline) throw new Error(`the fleet did not reach offset ${offset} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * When each verifier applied each offset from `first` to `last`:
   * `times[(offset - first) * size + receiver]` (NaN: not applied), and how
   * many of those were noticed late (by the sweep, not on a message), and
   * the CPU time the verifier processes used since the last report.
   */
  async report(first: number, last: number): Promise<{ times: Float64Array; swept: number; cpuMs: number }> {
    const replies = await Promise.all(this.#processes.map((p) => p.ask({ report: [first, last] })));
    const times = new Float64Array((last - first + 1) * this.size);
    let swept = 0;
    let cpuMs = 0;
    replies.forEach((reply, p) => {
      if (!('report' in reply)) throw new Error('a verifier process answered something else than its report');
      swept += reply.swept;
      cpuMs += reply.cpuMs;
      for (let o = 0; o <= last - first; o++) {
        times.set(reply.report.subarray(o * this.perProcess, (o + 1) * this.perProcess), o * this.size + p * this.perProcess);
      }
    });
    return { times, swept, cpuMs };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#processes.map((p) => p.stop()));
  }
}
