import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../http/admin-auth.js';
import { DEFAULTS } from '../config/defaults.js';

/** A message shown once, on the next page. */
export interface Flash {
  readonly kind: 'ok' | 'warn' | 'error';
  readonly text: string;
}

/** A signed-in console user: the key's name and scopes, never its secret. */
export interface ConsoleSession {
  /** The cookie value; stored only as {@link sessionIdHash}. */
  readonly id: string;
  readonly actor: string;
  readonly scopes: ReadonlySet<Scope>;
  /** Sent in a hidden field of every form and checked on every POST; see {@link csrfOf}. */
  readonly csrf: string;
  readonly expiresAt: number;
}

/**
 * Where console sessions live: in this process ({@link MemoryConsoleSessions})
 * or in Redis, where every replica finds them (`redis-console-sessions.ts`).
 */
export interface ConsoleSessionStore {
  create(actor: string, scopes: ReadonlySet<Scope>): Promise<ConsoleSession>;
  /** The live session with this id; `undefined` for none, an expired or a signed-out one. */
  get(id: string | undefined): Promise<ConsoleSession | undefined>;
  /** Keeps a message for the session's next page; nothing for a session that has ended. */
  setFlash(id: string, flash: Flash): Promise<void>;
  /** The kept message, removed as it is read. */
  takeFlash(id: string): Promise<Flash | undefined>;
  delete(id: string): Promise<void>;
}

const MAX_SESSIONS = 10_000;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** What a session is stored under: a reader of the store cannot turn it back into a cookie. */
export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/**
 * The session's CSRF token, derived from its secret id so no store holds it:
 * a page shows it, yet it neither reveals the id nor can be made without it.
 */
export function csrfOf(id: string): string {
  return createHash('sha256').update('revocast-console-csrf\0').update(id).digest('base64url');
}

/** A new session's fields. */
export function newSession(actor: string, scopes: ReadonlySet<Scope>, now: number): ConsoleSession {
  const id = newToken();
  return { id, actor, scopes, csrf: csrfOf(id), expiresAt: now + DEFAULTS.consoleSessionTtlMs };
}

/** Console sessions in this process: with several replicas, sign in again after a switch. */
export class MemoryConsoleSessions implements ConsoleSessionStore {
  readonly #sessions = new Map<string, { session: ConsoleSession; flash?: Flash | undefined }>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  create(actor: string, scopes: ReadonlySet<Scope>): Promise<ConsoleSession> {
    const now = this.#clock();
    for (const [id, entry] of this.#sessions) if (entry.session.expiresAt <= now) this.#sessions.delete(id);
    // A bound, so signing in again and again cannot grow memory without end.
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value as string);
    const session = newSession(actor, scopes, now);
    this.#sessions.set(sessionIdHash(session.id), { session });
    return Promise.resolve(session);
  }

  get(id: string | undefined): Promise<ConsoleSession | undefined> {
    return Promise.resolve(this.#live(id)?.session);
  }

  setFlash(id: string, flash: Flash): Promise<void> {
    const entry = this.#live(id);
    if (entry !== undefined) entry.flash = flash;
    return Promise.resolve();
  }

  takeFlash(id: string): Promise<Flash | undefined> {
    const entry = this.#live(id);
    const flash = entry?.flash;
    if (entry !== undefined) entry.flash = undefined;
    return Promise.resolve(flash);
  }

  delete(id: string): Promise<void> {
    this.#sessions.delete(sessionIdHash(id));
    return Promise.resolve();
  }

  #live(id: string | undefined): { session: ConsoleSession; flash?: Flash | undefined } | undefined {
    if (id === undefined) return undefined;
    const entry = this.#sessions.get(sessionIdHash(id));
    return entry === undefined || entry.session.expiresAt <= this.#clock() ? undefined : entry;
  }
}
