import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../http/admin-auth.js';

/** A signed-in console user: the key's name and scopes, never its secret. */
export interface ConsoleSession {
  readonly id: string;
  readonly actor: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Sent in a hidden field of every form and checked on every POST. */
  readonly csrf: string;
  readonly expiresAt: number;
  /** A message shown once, on the next page. */
  flash?: { readonly kind: 'ok' | 'warn' | 'error'; readonly text: string } | undefined;
}

/** Sessions end this long after sign-in. */
export const SESSION_TTL_MS = 8 * 3600_000;
const MAX_SESSIONS = 10_000;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Console sessions, in this process: with several instances, sign in again after a switch. */
export class ConsoleSessions {
  readonly #sessions = new Map<string, ConsoleSession>();
  readonly #clock: () => number;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  create(actor: string, scopes: ReadonlySet<Scope>): ConsoleSession {
    const now = this.#clock();
    for (const [id, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(id);
    // A bound, so signing in again and again cannot grow memory without end.
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    const session: ConsoleSession = { id: newToken(), actor, scopes, csrf: newToken(), expiresAt: now + SESSION_TTL_MS };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): ConsoleSession | undefined {
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined || session.expiresAt <= this.#clock()) return undefined;
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }
}
