import type { AppStore, RefreshClaim, Session } from './app-store.js';

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

interface RefreshRecord {
  readonly sid: string;
  readonly sub: string;
  usedAt?: number;
}

/** How often expired sessions and refresh tokens are swept out, at most. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The app state in this process's memory: for `npm start` without Redis, and
 * tests. One process only; nothing survives a restart.
 */
export class MemoryAppStore implements AppStore {
  readonly #users = new Map<string, string>();
  readonly #sessions = new Map<string, Expiring<Session>>();
  readonly #refreshTokens = new Map<string, Expiring<RefreshRecord>>();
  readonly #clock: () => number;
  #sweptAt: number;

  constructor(options: { clock?: () => number } = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#sweptAt = this.#clock();
  }

  async ready(): Promise<void> {}

  async addUser(username: string, passwordHash: string): Promise<void> {
    if (!this.#users.has(username)) this.#users.set(username, passwordHash);
  }

  async passwordHash(username: string): Promise<string | null> {
    return this.#users.get(username) ?? null;
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<void> {
    this.#users.set(username, passwordHash);
  }

  async saveSession(session: Session, ttlMs: number): Promise<void> {
    this.#sweep();
    this.#sessions.set(session.sid, { value: session, expiresAt: this.#clock() + ttlMs });
  }

  async touchSession({ sid }: Pick<Session, 'sid' | 'sub'>, now: number, ttlMs: number): Promise<boolean> {
    const session = this.#live(this.#sessions, sid);
    if (session === undefined) return false;
    this.#sessions.set(sid, { value: { ...session, lastSeenAt: now }, expiresAt: this.#clock() + ttlMs });
    return true;
  }

  async session(sid: string): Promise<Session | null> {
    return this.#live(this.#sessions, sid) ?? null;
  }

  async sessionsOf(sub: string): Promise<Session[]> {
    return [...this.#sessions.keys()].flatMap((sid) => {
      const session = this.#live(this.#sessions, sid);
      return session !== undefined && session.sub === sub ? [session] : [];
    });
  }

  async deleteSession(session: Pick<Session, 'sid' | 'sub'>): Promise<void> {
    this.#sessions.delete(session.sid);
  }

  async deleteSessionsOf(sub: string): Promise<void> {
    for (const [sid, { value }] of this.#sessions) if (value.sub === sub) this.#sessions.delete(sid);
  }

  async saveRefreshToken(hash: string, owner: { sid: string; sub: string }, ttlMs: number): Promise<void> {
    this.#sweep();
    this.#refreshTokens.set(hash, { value: { sid: owner.sid, sub: owner.sub }, expiresAt: this.#clock() + ttlMs });
  }

  async claimRefreshToken(hash: string, now: number): Promise<RefreshClaim | null> {
    const record = this.#live(this.#refreshTokens, hash);
    if (record === undefined) return null;
    const status = record.usedAt === undefined ? 'fresh' : 'reused';
    record.usedAt ??= now;
    return { status, sid: record.sid, sub: record.sub };
  }

  async close(): Promise<void> {}

  #live<T>(map: Map<string, Expiring<T>>, key: string): T | undefined {
    const item = map.get(key);
    if (item === undefined) return undefined;
    if (item.expiresAt > this.#clock()) return item.value;
    map.delete(key);
    return undefined;
  }

  /** Bounds memory: without it, abandoned sessions and used tokens would pile up. */
  #sweep(): void {
    const now = this.#clock();
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const map of [this.#sessions, this.#refreshTokens] as Array<Map<string, Expiring<unknown>>>) {
      for (const [key, item] of map) if (item.expiresAt <= now) map.delete(key);
    }
  }
}
