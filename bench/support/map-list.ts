import type { Entry } from '@revocast/verifier-sdk/protocol';

/**
 * The baseline: a revocation list on plain Maps keyed by the id strings,
 * with the same check rules as RevocationList and one-second expiry buckets
 * of ids pruned in one go (the design it replaced).
 */
export class MapRevocationList {
  readonly tokens = new Map<string, number>();
  readonly sessions = new Map<string, number>();
  readonly subjects = new Map<string, { cutoff: number; pruneAt: number }>();
  readonly #buckets = new Map<number, string[]>();

  put(entry: Entry): void {
    if (entry.type === 'token') this.tokens.set(entry.id, entry.pruneAt);
    else if (entry.type === 'session') this.sessions.set(entry.id, entry.pruneAt);
    else this.subjects.set(entry.id, { cutoff: entry.cutoff ?? entry.pruneAt, pruneAt: entry.pruneAt });
    if (entry.type !== 'token') return;
    const bucket = Math.floor(entry.pruneAt / 1000);
    const ids = this.#buckets.get(bucket);
    if (ids === undefined) this.#buckets.set(bucket, [entry.id]);
    else ids.push(entry.id);
  }

  /** Drops the tokens of every bucket before `nowMs`, all at once. */
  pruneTokens(nowMs: number): number {
    let dropped = 0;
    for (const [bucket, ids] of this.#buckets) {
      if (bucket >= Math.floor(nowMs / 1000)) continue;
      this.#buckets.delete(bucket);
      for (const id of ids) {
        const pruneAt = this.tokens.get(id);
        if (pruneAt !== undefined && pruneAt < nowMs) {
          this.tokens.delete(id);
          dropped++;
        }
      }
    }
    return dropped;
  }

  check(claims: { jti?: unknown; sid?: unknown; sub?: unknown; iat?: unknown }): string {
    const { jti, sid, sub } = claims;
    if (typeof jti === 'string' && this.tokens.has(jti)) return 'jti';
    if (typeof sid === 'string' && this.sessions.has(sid)) return 'session';
    if (typeof sub === 'string') {
      const subject = this.subjects.get(sub);
      if (subject !== undefined) {
        const iat = claims.iat;
        if (typeof iat !== 'number' || Math.round(iat * 1000) <= subject.cutoff) return 'subject';
      }
    }
    return 'ok';
  }
}
