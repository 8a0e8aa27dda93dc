/** One sign-in of a user on one device: what "My devices" lists. Times are epoch milliseconds. */
export interface Session {
  /** The `sid` claim of every token of this sign-in. */
  readonly sid: string;
  readonly sub: string;
  /** What the user called the device at sign-in, such as "work laptop". */
  readonly name: string;
  /** When the user signed in. Access tokens carry it as `iat`, so a subject cutoff reaches every token of the sign-in. */
  readonly createdAt: number;
  /** The last sign-in or refresh. */
  readonly lastSeenAt: number;
}

/** What a presented refresh token turned out to be. */
export interface RefreshClaim {
  /** `fresh` on its first use; `reused` when it had been used before: a copy is in other hands. */
  readonly status: 'fresh' | 'reused';
  readonly sid: string;
  readonly sub: string;
}

/**
 * The example app's own server-side state: users, sessions and refresh
 * tokens. Every instance of the app must see the same state, so with Redis it
 * lives there (under the app's own key prefix); the in-memory store serves one
 * process. Refresh tokens are known by their hash only.
 */
export interface AppStore {
  ready(): Promise<void>;
  /** Adds a user unless one of that name exists (the first instance to start wins). */
  addUser(username: string, passwordHash: string): Promise<void>;
  passwordHash(username: string): Promise<string | null>;
  setPasswordHash(username: string, passwordHash: string): Promise<void>;

  /** Saves a session; it is forgotten `ttlMs` after its last save or touch. */
  saveSession(session: Session, ttlMs: number): Promise<void>;
  /** Records a refresh of a session that still exists and extends its life; false when it is gone. */
  touchSession(session: Pick<Session, 'sid' | 'sub'>, now: number, ttlMs: number): Promise<boolean>;
  session(sid: string): Promise<Session | null>;
  sessionsOf(sub: string): Promise<Session[]>;
  deleteSession(session: Pick<Session, 'sid' | 'sub'>): Promise<void>;
  deleteSessionsOf(sub: string): Promise<void>;

  saveRefreshToken(hash: string, owner: { readonly sid: string; readonly sub: string }, ttlMs: number): Promise<void>;
  /**
   * Marks a refresh token used, atomically: of any number of concurrent
   * claims, on any instance, exactly one sees `fresh`. `null` for a token the
   * store does not know (never issued, or expired).
   */
  claimRefreshToken(hash: string, now: number): Promise<RefreshClaim | null>;

  close(): Promise<void>;
}
