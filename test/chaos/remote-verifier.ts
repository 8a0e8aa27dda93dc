import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RevocationClaims } from '@revocast/verifier-sdk';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type ToVerifier =
  | { type: 'track'; id: string; claims: RevocationClaims; ackAt: number }
  | { type: 'untrack'; id: string }
  | { type: 'stall'; ms: number }
  /** Each member with the answer it must get: revoked, or (a subject's cutoff + 1 ms) not. */
  | { type: 'final'; members: Array<{ member: string; claims: RevocationClaims; revoked: boolean }> };

export type FromVerifier =
  | { type: 'ready' }
  | { type: 'stall-ended' }
  | {
      type: 'status';
      state: string;
      stale: boolean;
      epoch: string | null;
      offset: number;
      lastSyncAt: number | null;
      counts: { checks: number; refusedStale: number; acceptedWithinBudget: number; maxServingAgeMs: number };
    }
  | { type: 'enforced'; id: string; at: number }
  | { type: 'accepted'; id: string; at: number; afterAckMs: number; verifierAt: string }
  | { type: 'final'; counts: Record<string, number>; wrong: string[] };

type Status = Extract<FromVerifier, { type: 'status' }>;

/**
 * The harness's handle on a verifier running in its own process
 * ({@link ./verifier-process.ts}): tells it what was acknowledged, holds its
 * event loop on request, and keeps what it reported.
 */
export class RemoteVerifier {
  readonly enforcedAt = new Map<string, number>();
  /** Revoked tokens it accepted more than the budget after their acknowledgement (before the harness checks for reinstates). */
  readonly accepts: Array<Extract<FromVerifier, { type: 'accepted' }>> = [];
  #status: Status | undefined;
  #child: ChildProcess | undefined;
  #waiters: Array<{ type: string; resolve: (message: FromVerifier) => void }> = [];

  /** Its last status report; undefined while it has not reported since a stall began. */
  get status(): Status | undefined {
    return this.#status;
  }

  async start(env: Record<string, string>): Promise<void> {
    const child = fork(`${ROOT}/test/chaos/verifier-process.ts`, [], {
      cwd: ROOT,
      execArgv: ['--conditions=revocast-source', '--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child = child;
    child.on('message', (message: FromVerifier) => {
      if (message.type === 'status') this.#status = message;
      else if (message.type === 'enforced') this.enforcedAt.set(message.id, message.at);
      else if (message.type === 'accepted') this.accepts.push(message);
      for (const waiter of this.#waiters.filter((w) => w.type === message.type)) {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    });
    await this.#next('ready', 60_000);
  }

  track(id: string, claims: RevocationClaims, ackAt: number): void {
    this.#send({ type: 'track', id, claims, ackAt });
  }

  untrack(id: string): void {
    this.#send({ type: 'untrack', id });
  }

  /** Holds its event loop with synchronous work for `ms`; resolves once it runs again. */
  async stall(ms: number): Promise<void> {
    this.#status = undefined;
    const ended = this.#next('stall-ended', ms + 60_000);
    this.#send({ type: 'stall', ms });
    await ended;
  }

  /** Asks it about every member; resolves with its entry counts and the members it answers wrongly. */
  async final(members: Extract<ToVerifier, { type: 'final' }>['members']): Promise<{ counts: Record<string, number>; wrong: string[] }> {
    const answer = this.#next('final', 60_000);
    this.#send({ type: 'final', members });
    return (await answer) as Extract<FromVerifier, { type: 'final' }>;
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  #send(message: ToVerifier): void {
    this.#child?.send(message);
  }

  #next(type: string, timeoutMs: number): Promise<FromVerifier> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the verifier process sent no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  }
}
