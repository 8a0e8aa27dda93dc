import { openRedis, type RedisClient } from '@revocast/verifier-sdk';
import { parseRedisTarget } from '@revocast/verifier-sdk/protocol';
import type { AppStore, RefreshClaim, Session } from './app-store.js';

export interface RedisAppStoreOptions {
  /** Redis URL (standalone, `redis+sentinel://` or `redis+cluster://`, as the verifier reads it) or an ioredis client (not closed by the store). */
  readonly redis: string | RedisClient;
  /** Prefix of the app's keys, apart from the revocation service's. Default `"revocast-demo"`. */
  readonly keyPrefix?: string;
}

/** Gives a key at least `ttl` ms to live; never shortens it (PTTL is -1 for a key without one). */
const EXTEND = `local function extend(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end
`;

// KEYS: session, the user's session set. ARGV: ttl, sid, sub, name, createdAt, lastSeenAt.
const SAVE_SESSION = `${EXTEND}
redis.call('HSET', KEYS[1], 'sub', ARGV[3], 'name', ARGV[4], 'createdAt', ARGV[5], 'lastSeenAt', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
extend(KEYS[2], ARGV[1])
return 1`;

// KEYS: session, the user's session set. ARGV: now, ttl. Never brings back a session deleted meanwhile.
const TOUCH_SESSION = `${EXTEND}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
extend(KEYS[2], ARGV[2])
return 1`;

// KEYS: the user's session set. ARGV: the session key prefix. One step, so a sign-in at the same moment is not half-deleted.
const DELETE_SESSIONS_OF = `for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[1] .. sid) end
redis.call('DEL', KEYS[1])
return 1`;

// KEYS: refresh token. ARGV: now. HSETNX decides, atomically, which claim is the first.
const CLAIM_REFRESH_TOKEN = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local first = redis.call('HSETNX', KEYS[1], 'usedAt', ARGV[1])
local owner = redis.call('HMGET', KEYS[1], 'sid', 'sub')
return { first, owner[1], owner[2] }`;

interface Scripts {
  appSaveSession(session: string, set: string, ...args: string[]): Promise<number>;
  appTouchSession(session: string, set: string, now: string, ttl: string): Promise<number>;
  appDeleteSessionsOf(set: string, sessionPrefix: string): Promise<number>;
  appClaimRefreshToken(key: string, now: string): Promise<[number, string, string] | null>;
}

function toSession(sid: string, fields: Record<string, string>): Session | null {
  const { sub, name, createdAt, lastSeenAt } = fields;
  if (sub === undefined || name === undefined || createdAt === undefined || lastSeenAt === undefined) return null;
  return { sid, sub, name, createdAt: Number(createdAt), lastSeenAt: Number(lastSeenAt) };
}

/**
 * The app state in Redis, so that any number of app instances act as one
 * app: a refresh token rotated on one is seen as used by all. Keys share one
 * hash tag, `{prefix}`, so the scripts touch a single slot.
 */
export class RedisAppStore implements AppStore {
  readonly #redis: RedisClient;
  readonly #owns: boolean;
  readonly #tag: string;

  constructor(options: RedisAppStoreOptions) {
    this.#tag = `{${options.keyPrefix ?? 'revocast-demo'}}`;
    if (typeof options.redis === 'string') {
      // The SDK's factory, so the app's own state follows the same URL forms as its verifier and the service.
      this.#redis = openRedis(parseRedisTarget(options.redis), {
        maxRetriesPerRequest: 1,
        commandTimeout: 3000,
        connectionName: 'revocast-example-app',
      });
      this.#owns = true;
    } else {
      this.#redis = options.redis;
      this.#owns = false;
    }
    // A lost connection fails the requests that need it; it must not crash the process.
    this.#redis.on('error', () => {});
    this.#redis.defineCommand('appSaveSession', { numberOfKeys: 2, lua: SAVE_SESSION });
    this.#redis.defineCommand('appTouchSession', { numberOfKeys: 2, lua: TOUCH_SESSION });
    this.#redis.defineCommand('appDeleteSessionsOf', { numberOfKeys: 1, lua: DELETE_SESSIONS_OF });
    this.#redis.defineCommand('appClaimRefreshToken', { numberOfKeys: 1, lua: CLAIM_REFRESH_TOKEN });
  }

  get #scripts(): Scripts {
    return this.#redis as unknown as Scripts;
  }

  #user(username: string): string {
    return `${this.#tag}:user:${username}`;
  }

  #session(sid: string): string {
    return `${this.#tag}:session:${sid}`;
  }

  #sessionsOf(sub: string): string {
    return `${this.#tag}:sessions-of:${sub}`;
  }

  #refresh(hash: string): string {
    return `${this.#tag}:refresh:${hash}`;
  }

  ready(): Promise<void> {
    if (this.#redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.#redis.once('ready', () => resolve()));
  }

  async addUser(username: string, passwordHash: string): Promise<void> {
    await this.#redis.hsetnx(this.#user(username), 'password', passwordHash);
  }

  passwordHash(username: string): Promise<string | null> {
    return this.#redis.hget(this.#user(username), 'password');
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<void> {
    await this.#redis.hset(this.#user(username), 'password', passwordHash);
  }

  async saveSession(session: Session, ttlMs: number): Promise<void> {
    await this.#scripts.appSaveSession(
      this.#session(session.sid),
      this.#sessionsOf(session.sub),
      String(ttlMs),
      session.sid,
      session.sub,
      session.name,
      String(session.createdAt),
      String(session.lastSeenAt),
    );
  }

  async touchSession(session: Pick<Session, 'sid' | 'sub'>, now: number, ttlMs: number): Promise<boolean> {
    return (
      (await this.#scripts.appTouchSession(this.#session(session.sid), this.#sessionsOf(session.sub), String(now), String(ttlMs))) === 1
    );
  }

  async session(sid: string): Promise<Session | null> {
    return toSession(sid, await this.#redis.hgetall(this.#session(sid)));
  }

  async sessionsOf(sub: string): Promise<Session[]> {
    const sids = await this.#redis.smembers(this.#sessionsOf(sub));
    const pipeline = this.#redis.pipeline();
    for (const sid of sids) pipeline.hgetall(this.#session(sid));
    const replies = (await pipeline.exec()) ?? [];
    const sessions: Session[] = [];
    const gone: string[] = [];
    sids.forEach((sid, i) => {
      const session = toSession(sid, (replies[i]?.[1] ?? {}) as Record<string, string>);
      if (session === null) gone.push(sid);
      else sessions.push(session);
    });
    // Sessions expire on their own; the index forgets them here.
    if (gone.length > 0) await this.#redis.srem(this.#sessionsOf(sub), ...gone);
    return sessions;
  }

  async deleteSession(session: Pick<Session, 'sid' | 'sub'>): Promise<void> {
    await this.#redis.multi().del(this.#session(session.sid)).srem(this.#sessionsOf(session.sub), session.sid).exec();
  }

  async deleteSessionsOf(sub: string): Promise<void> {
    await this.#scripts.appDeleteSessionsOf(this.#sessionsOf(sub), this.#session(''));
  }

  async saveRefreshToken(hash: string, owner: { sid: string; sub: string }, ttlMs: number): Promise<void> {
    await this.#redis.multi().hset(this.#refresh(hash), 'sid', owner.sid, 'sub', owner.sub).pexpire(this.#refresh(hash), ttlMs).exec();
  }

  async claimRefreshToken(hash: string, now: number): Promise<RefreshClaim | null> {
    const reply = await this.#scripts.appClaimRefreshToken(this.#refresh(hash), String(now));
    if (reply === null) return null;
    const [first, sid, sub] = reply;
    return { status: first === 1 ? 'fresh' : 'reused', sid, sub };
  }

  async close(): Promise<void> {
    if (this.#owns) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
