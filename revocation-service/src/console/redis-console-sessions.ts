import type { RedisClient } from '@revocast/verifier-sdk';
import type { RedisKeys } from '@revocast/verifier-sdk/protocol';
import { SCOPES, type Scope } from '../http/admin-auth.js';
import { csrfOf, newSession, sessionIdHash, type ConsoleSession, type ConsoleSessionStore, type Flash } from './console-sessions.js';
import { DEFAULTS } from '../config/defaults.js';

/** Sets the flash only on a session that still exists: a late write must not bring back a signed-out one without expiry. */
const SET_FLASH = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'flash', ARGV[1]) end
return 0
`;

/** Reads and removes the flash in one step, so two replicas never both show it. */
const TAKE_FLASH = `
local flash = redis.call('HGET', KEYS[1], 'flash')
if flash then redis.call('HDEL', KEYS[1], 'flash') end
return flash
`;

interface Scripts {
  revocastSetFlash(key: string, flash: string): Promise<unknown>;
  revocastTakeFlash(key: string): Promise<string | null>;
}

/**
 * Console sessions in Redis, so a session made through one replica works
 * through every other and signing out ends it everywhere. A session is a
 * hash under the SHA-256 of its id holding the key's name, its scopes and
 * the end time (never the admin key, the id or the CSRF token), and it
 * expires on its own when the session ends.
 */
export class RedisConsoleSessions implements ConsoleSessionStore {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #clock: () => number;

  constructor(redis: RedisClient, keys: RedisKeys, clock: () => number = Date.now) {
    this.#redis = redis;
    this.#keys = keys;
    this.#clock = clock;
    this.#redis.defineCommand('revocastSetFlash', { numberOfKeys: 1, lua: SET_FLASH });
    this.#redis.defineCommand('revocastTakeFlash', { numberOfKeys: 1, lua: TAKE_FLASH });
  }

  async create(actor: string, scopes: ReadonlySet<Scope>): Promise<ConsoleSession> {
    const session = newSession(actor, scopes, this.#clock());
    const key = this.#key(session.id);
    const replies = await this.#redis
      .multi()
      .hset(key, { actor, scopes: [...scopes].join(','), expires: String(session.expiresAt) })
      .pexpire(key, DEFAULTS.consoleSessionTtlMs)
      .exec();
    const failed = replies?.find(([err]) => err !== null)?.[0];
    if (replies === null || failed) throw failed ?? new Error('the session transaction was discarded');
    return session;
  }

  async get(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (id === undefined || id === '') return undefined;
    const fields = await this.#redis.hmget(this.#key(id), 'actor', 'scopes', 'expires');
    const [actor, scopes, expires] = fields;
    if (actor == null || scopes == null || expires == null) return undefined;
    const expiresAt = Number(expires);
    if (!(expiresAt > this.#clock())) return undefined;
    const granted = new Set(scopes.split(',').filter((scope): scope is Scope => (SCOPES as readonly string[]).includes(scope)));
    return { id, actor, scopes: granted, csrf: csrfOf(id), expiresAt };
  }

  async setFlash(id: string, flash: Flash): Promise<void> {
    await (this.#redis as unknown as Scripts).revocastSetFlash(this.#key(id), JSON.stringify(flash));
  }

  async takeFlash(id: string): Promise<Flash | undefined> {
    const raw = await (this.#redis as unknown as Scripts).revocastTakeFlash(this.#key(id));
    return raw === null ? undefined : (JSON.parse(raw) as Flash);
  }

  async delete(id: string): Promise<void> {
    await this.#redis.del(this.#key(id));
  }

  #key(id: string): string {
    return this.#keys.consoleSession(sessionIdHash(id));
  }
}
