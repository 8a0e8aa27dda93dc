import type { RevocationReason } from '../errors.js';
import type { Change, Entry, RevocationType } from '../protocol/index.js';

/** The claims a revocation check looks at. Anything else in a payload is ignored. */
export interface RevocationClaims {
  readonly jti?: unknown;
  readonly sub?: unknown;
  readonly sid?: unknown;
  readonly iat?: unknown;
}

/** `'ok'` or which revocation matched. */
export type CheckResult = 'ok' | RevocationReason;

interface SubjectCutoff {
  cutoff: number;
  pruneAt: number;
}

interface Bucket {
  types: RevocationType[];
  ids: string[];
}

const BUCKET_MS = 1000;

/**
 * The in-memory revocation list a verifier checks every token against.
 *
 * A check is three map lookups. Entries are dropped once `pruneAt` plus the
 * clock tolerance has passed, never earlier: until then a revoked token
 * could still pass `exp` validation, so the entry must stay. Expiry is kept
 * in one-second buckets, so pruning touches only what expires.
 */
export class RevocationList {
  readonly #tokens = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  readonly #subjects = new Map<string, SubjectCutoff>();
  readonly #buckets = new Map<number, Bucket>();
  readonly #toleranceMs: number;
  /** Every bucket below this one has been pruned. */
  #prunedThrough: number;

  constructor(toleranceMs: number, nowMs: number) {
    this.#toleranceMs = toleranceMs;
    this.#prunedThrough = Math.floor(nowMs / BUCKET_MS);
  }

  /**
   * Checks claims against the list. A subject cutoff matches tokens issued at
   * or before it, compared in milliseconds; a token without `iat` cannot show
   * it was issued after the cutoff, so it matches too.
   */
  check(claims: RevocationClaims): CheckResult {
    const { jti, sid, sub } = claims;
    if (typeof jti === 'string' && this.#tokens.has(jti)) return 'jti';
    if (typeof sid === 'string' && this.#sessions.has(sid)) return 'session';
    if (typeof sub === 'string') {
      const subject = this.#subjects.get(sub);
      if (subject !== undefined) {
        const iat = claims.iat;
        if (typeof iat !== 'number' || Math.round(iat * 1000) <= subject.cutoff) return 'subject';
      }
    }
    return 'ok';
  }

  apply(change: Change): void {
    if (change.op === 'revoke') this.put(change.entry);
    else this.remove(change.type, change.id);
  }

  /** Adds or replaces an entry. An entry already past its drop time is not kept. */
  put(entry: Entry): void {
    const bucket = Math.floor((entry.pruneAt + this.#toleranceMs) / BUCKET_MS);
    if (bucket < this.#prunedThrough) {
      this.remove(entry.type, entry.id);
      return;
    }
    switch (entry.type) {
      case 'token':
        this.#tokens.set(entry.id, entry.pruneAt);
        break;
      case 'session':
        this.#sessions.set(entry.id, entry.pruneAt);
        break;
      case 'subject':
        this.#subjects.set(entry.id, { cutoff: entry.cutoff ?? entry.pruneAt, pruneAt: entry.pruneAt });
        break;
    }
    let pending = this.#buckets.get(bucket);
    if (pending === undefined) {
      pending = { types: [], ids: [] };
      this.#buckets.set(bucket, pending);
    }
    pending.types.push(entry.type);
    pending.ids.push(entry.id);
  }

  remove(type: RevocationType, id: string): void {
    // The bucket keeps a reference to the id; pruning skips ids no longer present.
    if (type === 'token') this.#tokens.delete(id);
    else if (type === 'session') this.#sessions.delete(id);
    else this.#subjects.delete(id);
  }

  /** Drops every entry whose `pruneAt` plus tolerance is before `nowMs`. Returns how many. */
  prune(nowMs: number): number {
    const through = Math.floor(nowMs / BUCKET_MS);
    let dropped = 0;
    for (let bucket = this.#prunedThrough; bucket < through; bucket++) {
      const pending = this.#buckets.get(bucket);
      if (pending === undefined) continue;
      this.#buckets.delete(bucket);
      for (let i = 0; i < pending.ids.length; i++) {
        const type = pending.types[i] as RevocationType;
        const id = pending.ids[i] as string;
        const pruneAt = this.#pruneAtOf(type, id);
        // A later revocation of the same id may have moved it to a later bucket.
        if (pruneAt !== undefined && pruneAt + this.#toleranceMs < through * BUCKET_MS) {
          this.remove(type, id);
          dropped++;
        }
      }
    }
    if (through > this.#prunedThrough) this.#prunedThrough = through;
    return dropped;
  }

  /** Live entries per type. */
  counts(): Record<RevocationType, number> {
    return { token: this.#tokens.size, subject: this.#subjects.size, session: this.#sessions.size };
  }

  get size(): number {
    return this.#tokens.size + this.#subjects.size + this.#sessions.size;
  }

  /** Every live entry, for comparison with the record. */
  *entries(): IterableIterator<Entry> {
    for (const [id, pruneAt] of this.#tokens) yield { type: 'token', id, pruneAt };
    for (const [id, pruneAt] of this.#sessions) yield { type: 'session', id, pruneAt };
    for (const [id, { cutoff, pruneAt }] of this.#subjects) yield { type: 'subject', id, pruneAt, cutoff };
  }

  #pruneAtOf(type: RevocationType, id: string): number | undefined {
    if (type === 'token') return this.#tokens.get(id);
    if (type === 'session') return this.#sessions.get(id);
    return this.#subjects.get(id)?.pruneAt;
  }
}
