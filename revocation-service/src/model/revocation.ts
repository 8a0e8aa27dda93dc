import type { Entry, RevocationType } from '@revocast/verifier-sdk/protocol';

/** A revocation as the service records it. Times are epoch milliseconds. */
export interface RevocationRecord {
  readonly type: RevocationType;
  readonly id: string;
  /** The user a token or session belongs to, for listing; for a subject it is the id. */
  readonly sub?: string;
  /** Token and session revocations: the `exp` (seconds) the revocation lasts until. */
  readonly exp?: number;
  /** Subject revocations: the cutoff. Tokens with `iat` at or before it are revoked. */
  readonly cutoff?: number;
  readonly reason?: string;
  /** Name of the admin key that made the change. */
  readonly revokedBy: string;
  readonly revokedAt: number;
  /** When the revocation stops mattering and is pruned. */
  readonly pruneAt: number;
  /** Position of the change in the history; set by the store. */
  readonly offset?: number;
  /**
   * When the PostgreSQL record adopted this revocation from Redis, where a
   * writer that bypassed the record had made it (see RELIABILITY.md, mixed writers).
   */
  readonly adoptedAt?: number;
}

/** A validated revocation request. */
export type RevocationInput =
  | { readonly type: 'token'; readonly jti: string; readonly exp: number; readonly sub?: string; readonly reason?: string }
  | { readonly type: 'subject'; readonly sub: string; readonly before?: number; readonly reason?: string }
  | { readonly type: 'session'; readonly sid: string; readonly exp?: number; readonly sub?: string; readonly reason?: string };

/** What a store is asked to write for one revocation. */
export interface RevocationPlan {
  readonly record: RevocationRecord;
  readonly entry: Entry;
  /**
   * How far the revocation reaches: the exp for a token or session, the
   * cutoff for a subject. A repeat is a no-op unless its rank is higher.
   * 0 for a session without an explicit exp, so repeating it changes nothing.
   */
  readonly rank: number;
}

export interface PlanContext {
  readonly now: number;
  readonly maxTokenTtlMs: number;
  readonly actor: string;
}

/** Turns a request into the record and the verifier entry, applying defaults. */
export function planRevocation(input: RevocationInput, context: PlanContext): RevocationPlan {
  const { now, maxTokenTtlMs, actor } = context;
  const common = { revokedBy: actor, revokedAt: now, ...(input.reason === undefined ? {} : { reason: input.reason }) };
  switch (input.type) {
    case 'token': {
      const pruneAt = Math.ceil(input.exp * 1000);
      const record: RevocationRecord = { type: 'token', id: input.jti, exp: input.exp, pruneAt, ...withSub(input.sub), ...common };
      return { record, entry: { type: 'token', id: input.jti, pruneAt }, rank: pruneAt };
    }
    case 'session': {
      const pruneAt = input.exp === undefined ? now + maxTokenTtlMs : Math.ceil(input.exp * 1000);
      const exp = input.exp ?? pruneAt / 1000;
      const record: RevocationRecord = { type: 'session', id: input.sid, exp, pruneAt, ...withSub(input.sub), ...common };
      return { record, entry: { type: 'session', id: input.sid, pruneAt }, rank: input.exp === undefined ? 0 : pruneAt };
    }
    case 'subject': {
      const cutoff = input.before === undefined ? now : Math.round(input.before * 1000);
      const pruneAt = cutoff + maxTokenTtlMs;
      const record: RevocationRecord = { type: 'subject', id: input.sub, sub: input.sub, cutoff, pruneAt, ...common };
      return { record, entry: { type: 'subject', id: input.sub, pruneAt, cutoff }, rank: cutoff };
    }
  }
}

function withSub(sub: string | undefined): { sub?: string } {
  return sub === undefined ? {} : { sub };
}

/** The record as the HTTP API shows it: the id under its claim name, times readable. */
export function toApi(record: RevocationRecord): Record<string, unknown> {
  const idField = record.type === 'token' ? 'jti' : record.type === 'session' ? 'sid' : 'sub';
  return {
    type: record.type,
    [idField]: record.id,
    ...(record.type !== 'subject' && record.sub !== undefined ? { sub: record.sub } : {}),
    ...(record.exp === undefined ? {} : { exp: record.exp }),
    ...(record.cutoff === undefined ? {} : { before: record.cutoff / 1000 }),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
    revokedBy: record.revokedBy,
    revokedAt: new Date(record.revokedAt).toISOString(),
    expiresAt: new Date(record.pruneAt).toISOString(),
    ...(record.offset === undefined ? {} : { offset: record.offset }),
    ...(record.adoptedAt === undefined ? {} : { adoptedAt: new Date(record.adoptedAt).toISOString() }),
  };
}
