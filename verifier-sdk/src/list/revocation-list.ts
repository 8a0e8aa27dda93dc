import type { RevocationReason } from '../errors.js';
import {
  MAX_ID_LENGTH,
  coveredByCutoff,
  cutoffOf,
  enforcedUntil,
  type Change,
  type Entry,
  type RevocationType,
} from '../protocol/index.js';
import { randomSeed } from './digest.js';
import { DigestTable, NEVER } from './digest-table.js';
import { ExpiryQueue } from './expiry-queue.js';

/**
 * The claims a revocation check looks at: the ids and `iat` against the
 * list; `isRevoked` also judges `exp` and `nbf` when present. Anything else
 * in a payload is ignored.
 */
export interface RevocationClaims {
  readonly jti?: unknown;
  readonly sub?: unknown;
  readonly sid?: unknown;
  readonly iat?: unknown;
  readonly exp?: unknown;
  readonly nbf?: unknown;
}

/** `'ok'` or which revocation matched. */
export type CheckResult = 'ok' | RevocationReason;

export interface RevocationListOptions {
  /** Seed of the id digests; random by default, so collisions differ between lists and processes. */
  readonly seed?: number;
}

const BUCKET_MS = 1000;

/**
 * The in-memory revocation list a verifier checks every token against.
 *
 * Ids are not kept: each type has a {@link DigestTable} of 64-bit digests of
 * its ids (12 bytes a slot at 50 to 75% load, so 16 to 24 bytes an entry,
 * plus about 4 in the expiry queue), where a `Map<string, number>` needs the
 * id string and a map entry, over 100 bytes for a UUID. A check hashes the
 * claim and probes typed arrays: no allocation, no string kept alive.
 *
 * Collisions: two ids with the same 64-bit digest are one entry. So a token
 * whose id collides with a revoked one is rejected too; a revoked token is
 * never accepted because of it, since a repeat or colliding revocation only
 * ever widens the entry (later expiry, later cutoff). The one exception is
 * reinstatement, which removes the digest: if two *live* revoked ids
 * collided, reinstating one also clears the other until the next reload.
 * With n live ids a collision among them has probability about
 * n² / 2^65 (3·10^-8 at a million), and the seed is random per list, so no
 * id collides on every verifier.
 *
 * Entries are dropped once `pruneAt` plus the clock tolerance has passed,
 * never earlier: until then a revoked token could still pass `exp`
 * validation. Expiry is kept in one-second buckets, so pruning touches only
 * what expires, and it can be done in slices (`budget`) to keep every pause
 * short.
 */
export class RevocationList {
  readonly #tokens: DigestTable;
  readonly #sessions: DigestTable;
  readonly #subjects: DigestTable;
  readonly #queues: ReadonlyArray<readonly [DigestTable, ExpiryQueue]>;
  readonly #toleranceMs: number;
  /** Entries expiring below this bucket are gone or being pruned; new ones there are not kept. */
  #prunedThrough: number;
  #pruning = false;

  constructor(toleranceMs: number, nowMs: number, options: RevocationListOptions = {}) {
    const seed = options.seed ?? randomSeed();
    this.#toleranceMs = toleranceMs;
    this.#prunedThrough = Math.floor(nowMs / BUCKET_MS);
    this.#tokens = new DigestTable(seed);
    this.#sessions = new DigestTable(seed ^ 0x2545f491);
    this.#subjects = new DigestTable(seed ^ 0x6a09e667, true);
    this.#queues = [this.#tokens, this.#sessions, this.#subjects].map((table) => [table, new ExpiryQueue(this.#prunedThrough)] as const);
  }

  /**
   * Checks claims against the list. A subject cutoff matches tokens issued at
   * or before it ({@link coveredByCutoff}); a token without a finite `iat`
   * cannot show it was issued after the cutoff, so it matches too. Claims
   * that are not ids are not looked up: callers judge them first.
   */
  check(claims: RevocationClaims): CheckResult {
    const { jti, sid, sub } = claims;
    // No revoked id is longer than MAX_ID_LENGTH: longer claims need no hashing.
    if (typeof jti === 'string' && jti.length <= MAX_ID_LENGTH && this.#tokens.find(jti) >= 0) return 'jti';
    if (typeof sid === 'string' && sid.length <= MAX_ID_LENGTH && this.#sessions.find(sid) >= 0) return 'session';
    if (typeof sub === 'string' && sub.length <= MAX_ID_LENGTH) {
      const slot = this.#subjects.find(sub);
      if (slot >= 0 && coveredByCutoff(claims.iat, this.#subjects.valueAt(slot))) return 'subject';
    }
    return 'ok';
  }

  apply(change: Change): void {
    if (change.op === 'revoke') this.put(change.entry);
    else this.remove(change.type, change.id);
  }

  /**
   * Adds an entry, or widens the one there: the later drop time and the
   * later cutoff are kept. An entry already past its drop time is not kept.
   */
  put(entry: Entry): void {
    const bucket = this.#bucketOf(entry.pruneAt);
    if (bucket < this.#prunedThrough) return;
    const [table, queue] = this.#queueOf(entry.type);
    const value = entry.type === 'subject' ? cutoffOf(entry) : 0;
    if (table.put(entry.id, bucket, value) && bucket !== NEVER) queue.add(bucket, table.lastKey);
  }

  /** Makes room for this many entries of each type (see {@link DigestTable.reserve}). */
  reserve(counts: Partial<Record<RevocationType, number>>): void {
    for (const type of ['token', 'session', 'subject'] as const) {
      const count = counts[type];
      if (count !== undefined) this.#tableOf(type).reserve(this.#tableOf(type).size + count);
    }
  }

  remove(type: RevocationType, id: string): void {
    this.#tableOf(type).remove(id);
  }

  /** Whether an entry for `id` is live, for comparison with the record. */
  has(type: RevocationType, id: string): boolean {
    return this.#tableOf(type).find(id) >= 0;
  }

  /**
   * Drops every entry whose `pruneAt` plus tolerance is before `nowMs`, or,
   * with a `budget`, at most that many entries (each queued key drops at
   * most one, so the budget is exact even when ids share a queued key);
   * {@link pruning} then says whether more is left. Never drops an entry
   * before its time. Returns how many entries were dropped.
   */
  prune(nowMs: number, budget = Number.POSITIVE_INFINITY): number {
    const through = Math.floor(nowMs / BUCKET_MS);
    if (through > this.#prunedThrough) this.#prunedThrough = through;
    const before = this.size;
    let left = budget;
    for (const [table, queue] of this.#queues) {
      left -= queue.drain(through, left, table);
      if (left <= 0) break;
    }
    this.#pruning = left <= 0;
    return before - this.size;
  }

  /** True when the last {@link prune} used up its budget: call it again soon. */
  get pruning(): boolean {
    return this.#pruning;
  }

  /** Live entries per type. */
  counts(): Record<RevocationType, number> {
    return { token: this.#tokens.size, subject: this.#subjects.size, session: this.#sessions.size };
  }

  get size(): number {
    return this.#tokens.size + this.#subjects.size + this.#sessions.size;
  }

  /** Bytes held by the tables and expiry queues (typed arrays only). */
  get byteLength(): number {
    let bytes = 0;
    for (const [table, queue] of this.#queues) bytes += table.byteLength + queue.byteLength;
    return bytes;
  }

  /** The bucket of the last second the entry must be enforced in ({@link enforcedUntil}). */
  #bucketOf(pruneAt: number): number {
    const bucket = Math.floor(enforcedUntil(pruneAt, this.#toleranceMs) / BUCKET_MS);
    return Math.min(bucket, NEVER);
  }

  #tableOf(type: RevocationType): DigestTable {
    return type === 'token' ? this.#tokens : type === 'session' ? this.#sessions : this.#subjects;
  }

  #queueOf(type: RevocationType): readonly [DigestTable, ExpiryQueue] {
    return this.#queues[type === 'token' ? 0 : type === 'session' ? 1 : 2] as readonly [DigestTable, ExpiryQueue];
  }
}
