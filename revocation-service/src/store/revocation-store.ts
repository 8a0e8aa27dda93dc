import { CLAIM_OF_TYPE, idProblem, type RevocationType } from '@revocast/verifier-sdk/protocol';
import { ServiceError } from '../errors.js';
import type { RevocationPlan, RevocationRecord } from '../model/revocation.js';

export interface RevokeResult {
  /** The revocation now in force, with its offset. */
  readonly record: RevocationRecord;
  /** False when the same or a wider revocation was already in force: nothing was written. */
  readonly changed: boolean;
}

export interface BatchRevokeResult {
  /** One result per plan, in the order given. */
  readonly results: readonly RevokeResult[];
  /** The contiguous offsets of the changes made; `null` when every item was already in force. */
  readonly offsets: { readonly first: number; readonly last: number } | null;
}

export interface ReinstateResult {
  /** The revocation that was removed. */
  readonly record: RevocationRecord;
  /** Offset of the reinstate change. */
  readonly offset: number;
}

export interface ListQuery {
  readonly type?: RevocationType;
  readonly sub?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface ListPage {
  readonly items: readonly RevocationRecord[];
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

export interface ChangeContext {
  readonly actor: string;
  readonly now: number;
}

/**
 * Where revocations are recorded and from where they are published. Every
 * change gets the next offset of the history and reaches every verifier.
 */
export interface RevocationStore {
  /** Resolves once the store is reachable. */
  ready(): Promise<void>;
  revoke(plan: RevocationPlan, context: ChangeContext): Promise<RevokeResult>;
  /**
   * Records many revocations at once, all or nothing, in order: the changes
   * get consecutive offsets and reach verifiers as one message. An item that
   * is already in force (or narrower than what is) changes nothing, as in
   * {@link revoke}; a later item may widen an earlier one of the same batch.
   */
  revokeBatch(plans: readonly RevocationPlan[], context: ChangeContext): Promise<BatchRevokeResult>;
  /** Removes a revocation; `null` when there was none. */
  reinstate(type: RevocationType, id: string, context: ChangeContext): Promise<ReinstateResult | null>;
  get(type: RevocationType, id: string): Promise<RevocationRecord | null>;
  /** Throws {@link InvalidCursorError} for a cursor it did not make. */
  list(query: ListQuery): Promise<ListPage>;
  /** Live revocations per type. */
  counts(): Promise<Record<RevocationType, number>>;
  /** Removes revocations past their prune time plus the retention grace. Returns how many. */
  prune(now: number): Promise<number>;
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class InvalidCursorError extends ServiceError<'ERR_INVALID_CURSOR'> {
  constructor() {
    super('ERR_INVALID_CURSOR', 'cursor is not one this API returned');
  }
}

/**
 * A writer refused an id the protocol's id rule rejects. The routes check
 * ids first, so this only fires when a caller skipped them; the writers
 * check again because an id stored here reaches every verifier.
 */
export class InvalidIdError extends ServiceError<'ERR_INVALID_ID'> {
  /** The field that carried the id: `jti`, `sub`, `sid` or `id`. */
  readonly field: string;
  readonly problem: string;

  constructor(field: string, problem: string) {
    super('ERR_INVALID_ID', `${field} ${problem}`);
    this.field = field;
    this.problem = problem;
  }
}

/** Throws {@link InvalidIdError} unless `id` passes the protocol's id rule. */
export function checkId(field: string, id: unknown): void {
  const problem = idProblem(id);
  if (problem !== undefined) throw new InvalidIdError(field, problem);
}

/** Checks every id a revocation plan would store: its own id and the `sub` it is listed under. `prefix` names its place in a batch. */
export function checkPlanIds(plan: RevocationPlan, prefix = ''): void {
  checkId(prefix + CLAIM_OF_TYPE[plan.entry.type], plan.entry.id);
  if (plan.record.sub !== undefined) checkId(`${prefix}sub`, plan.record.sub);
}

/** The backing store could not be reached or did not answer in time. */
export class StoreUnavailableError extends ServiceError<'ERR_STORE_UNAVAILABLE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', message, options);
  }
}

/**
 * This Redis is the projection of a PostgreSQL record, and the writer tried
 * to change it directly (a Redis-only service, or the example app in its
 * embedded mode). Nothing was written: a change that bypassed the record
 * would be replaced by the record at the next re-seed.
 */
export class RecordOwnedError extends ServiceError<'ERR_REDIS_OWNED_BY_RECORD'> {
  constructor(options?: { cause?: unknown }) {
    super(
      'ERR_REDIS_OWNED_BY_RECORD',
      'this Redis belongs to a PostgreSQL record and takes changes only through it: point this writer at the revocation service that owns the record ' +
        '(REVOCAST_SERVICE_URL for the example app), or give it the record too (DATABASE_URL)',
      options,
    );
  }
}

/** Cursors are opaque to clients: base64url JSON that only the store reads. */
export function encodeCursor(value: Record<string, string>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string, field: string): string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const inner = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  if (typeof inner !== 'string' || inner.length > 2048) throw new InvalidCursorError();
  return inner;
}

/** The epoch of a new history: 64 random bits in hex. */
export function newEpoch(): string {
  return crypto.getRandomValues(new Uint8Array(8)).reduce((hex, byte) => hex + byte.toString(16).padStart(2, '0'), '');
}
