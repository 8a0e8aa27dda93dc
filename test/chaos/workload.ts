import type { RevocationClaims } from '@revocast/verifier-sdk';
import type { RevocationType } from '@revocast/verifier-sdk/protocol';
import { ADMIN_SECRET } from '../support/fixtures.js';
import type { Random } from './random.js';
import type { ServiceProcess } from './service-process.js';

/** One revocation the workload asked for, and what became of it. */
export interface Revocation {
  readonly type: RevocationType;
  readonly id: string;
  /** Claims of a token this revocation must reject. */
  readonly claims: RevocationClaims;
  readonly sentAt: number;
  /** When the service first answered 2xx: from then on it must never be lost. */
  ackAt?: number;
  /** Its offset in the history, as the service answered. */
  offset?: number;
  /** A reinstate was sent: from then on it may be accepted. */
  reinstateSentAt?: number;
  /** The reinstate was answered. */
  reinstatedAt?: number;
  /** First time every verifier rejected it. */
  enforcedEverywhereAt?: number;
}

export interface WorkloadCounts {
  requests: number;
  /** Requests that failed (connection cut, timeout, 5xx) and were sent again. */
  retried: number;
  /** Revocations never acknowledged after every attempt. */
  unacknowledged: number;
  reinstatesAcknowledged: number;
}

export interface WorkloadOptions {
  readonly services: readonly ServiceProcess[];
  readonly random: Random;
  /** Target revocations per second, over all workers. */
  readonly rate: number;
  readonly workers: number;
  readonly runId: string;
  readonly clock: () => number;
  /** Told of each acknowledgement, and of each reinstate before it is sent (for verifiers in other processes). */
  readonly onAcknowledged?: (revocation: Revocation) => void;
  readonly onReinstating?: (revocation: Revocation) => void;
}

const ATTEMPTS = 6;
const REQUEST_TIMEOUT_MS = 5000;

/**
 * Makes revocations of all three types (and a few reinstates) continuously
 * through the admin API of whichever service replicas are up, retrying a
 * failed request on another replica, and remembers when each was
 * acknowledged.
 */
export class Workload {
  readonly revocations: Revocation[] = [];
  readonly counts: WorkloadCounts = { requests: 0, retried: 0, unacknowledged: 0, reinstatesAcknowledged: 0 };
  readonly #options: WorkloadOptions;
  #running = false;
  #workers: Array<Promise<void>> = [];
  #serial = 0;
  #turn = 0;
  readonly #inFlight = new Map<ServiceProcess, number>();

  constructor(options: WorkloadOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running = true;
    this.#workers = Array.from({ length: this.#options.workers }, () => this.#work());
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  /** Requests sent to `service` and not yet answered. */
  inFlight(service: ServiceProcess): number {
    return this.#inFlight.get(service) ?? 0;
  }

  /** Acknowledged and not being reinstated: every verifier must reject these (within the staleness budget). */
  inForce(): Revocation[] {
    return this.revocations.filter((r) => r.ackAt !== undefined && r.reinstateSentAt === undefined);
  }

  async #work(): Promise<void> {
    const { rate, workers, random, clock } = this.#options;
    const pace = (workers / rate) * 1000;
    while (this.#running) {
      const started = clock();
      const reinstatable = this.revocations.filter((r) => r.type === 'token' && r.ackAt !== undefined && r.reinstateSentAt === undefined);
      if (random.next() < 0.08 && reinstatable.length > 20) await this.#reinstate(random.pick(reinstatable));
      else await this.#revoke();
      const wait = pace - (clock() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async #revoke(): Promise<void> {
    const { random, runId, clock } = this.#options;
    const n = ++this.#serial;
    const roll = random.next();
    const type: RevocationType = roll < 0.55 ? 'token' : roll < 0.8 ? 'session' : 'subject';
    const id = `${runId}-${type[0]}${n}`;
    const sentAt = clock();
    const exp = Math.floor(sentAt / 1000) + 3600;
    const body =
      type === 'token' ? { type, jti: id, exp, sub: `${runId}-user${n % 50}` } : type === 'session' ? { type, sid: id } : { type, sub: id };
    // A subject revocation cuts at the service's clock when it records it, after this token's iat.
    const claims: RevocationClaims =
      type === 'token' ? { jti: id } : type === 'session' ? { sid: id } : { sub: id, iat: sentAt / 1000 - 1 };
    const revocation: Revocation = { type, id, claims, sentAt };
    this.revocations.push(revocation);
    const answer = await this.#send('POST', '/v1/revocations', body, [200, 201]);
    if (answer === undefined) {
      this.counts.unacknowledged++;
      return;
    }
    revocation.ackAt = clock();
    const offset = (answer.body as { offset?: number } | undefined)?.offset;
    if (offset !== undefined) revocation.offset = offset;
    this.#options.onAcknowledged?.(revocation);
  }

  async #reinstate(revocation: Revocation): Promise<void> {
    revocation.reinstateSentAt = this.#options.clock();
    this.#options.onReinstating?.(revocation);
    // A retry after a reinstate that went through answers 404: it is gone either way.
    const answer = await this.#send('DELETE', `/v1/revocations/token/${encodeURIComponent(revocation.id)}`, undefined, [200, 404]);
    if (answer !== undefined) {
      revocation.reinstatedAt = this.#options.clock();
      this.counts.reinstatesAcknowledged++;
    }
  }

  /** Sends until one of `accepted` comes back, moving to another replica after each failure. */
  async #send(
    method: string,
    path: string,
    body: unknown,
    accepted: readonly number[],
  ): Promise<{ status: number; body: unknown } | undefined> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const service = await this.#nextService();
      if (service === undefined) return undefined;
      this.counts.requests++;
      this.#inFlight.set(service, this.inFlight(service) + 1);
      try {
        const res = await fetch(service.url + path, {
          method,
          headers: { authorization: `Bearer ${ADMIN_SECRET}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await res.text();
        if (accepted.includes(res.status))
          return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : undefined };
        if (res.status < 500) throw new Error(`unexpected ${res.status} for ${method} ${path}`);
      } catch (err) {
        if ((err as Error).message.startsWith('unexpected')) throw err;
      } finally {
        this.#inFlight.set(service, this.inFlight(service) - 1);
      }
      this.counts.retried++;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
    return undefined;
  }

  /** The next replica that is up, round robin; waits while none is. */
  async #nextService(): Promise<ServiceProcess | undefined> {
    const { services } = this.#options;
    for (let waited = 0; waited < 30_000; waited += 50) {
      for (let i = 0; i < services.length; i++) {
        const service = services[this.#turn++ % services.length] as ServiceProcess;
        if (service.up) return service;
      }
      if (!this.#running) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return undefined;
  }
}
