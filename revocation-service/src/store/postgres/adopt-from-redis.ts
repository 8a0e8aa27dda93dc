import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { encodeChange, parseMember, reachOf, widens, type RevocationType } from '@revocast/verifier-sdk/protocol';
import type { RevocationRecord } from '../../model/revocation.js';
import type { ProjectedEntry } from '../redis-projection.js';
import type { Tables } from './migrations.js';

/** What the record holds for a member Redis holds too. */
export interface HeldInRecord {
  readonly pruneAt: number;
  readonly cutoff: number | null;
}

/** The record's latest change of a member: a reinstate lifts what Redis may still show. */
export interface LastChange {
  readonly reinstated: boolean;
  readonly at: number;
}

/**
 * Whether a revocation Redis holds must be adopted into the record before
 * Redis is replaced with the record: it is live, the record does not hold
 * it as wide (a later expiry, or for a subject a later cutoff), and no
 * audited reinstate of the record came after it. `revokedAt` is unknown
 * when Redis has no details for it (the projection writes none); a
 * reinstate then wins, because such an entry came from the record itself.
 *
 * The rule behind it: nothing but an audited reinstate un-revokes, so a
 * re-seed never drops what a verifier enforces unless the record says why.
 */
export function mustAdopt(
  type: RevocationType,
  entry: ProjectedEntry,
  now: number,
  held: HeldInRecord | undefined,
  last: LastChange | undefined,
  revokedAt: number | undefined,
): boolean {
  if (entry.pruneAt <= now) return false;
  // Verifiers skip a subject without a cutoff too: there is nothing enforced to keep.
  const reach = reachOf({ type, ...entry });
  if (reach === undefined) return false;
  if (held !== undefined) {
    // The record holds it already: adopt only what reaches further (the protocol's widening rule).
    return widens(reachOf({ type, pruneAt: held.pruneAt, ...(held.cutoff === null ? {} : { cutoff: held.cutoff }) }), reach);
  }
  if (last?.reinstated === true) return revokedAt !== undefined && revokedAt > last.at;
  return true;
}

const PAGE = 1000;

export interface AdoptionSource {
  /** The details hash of the Redis-only store, for the adopted records' history (who, when, why); null where absent. */
  details(members: readonly string[]): Promise<ReadonlyArray<string | null>>;
}

/**
 * Adopts into the record every live revocation of `entries` (what Redis
 * holds) that {@link mustAdopt} says the record lacks: each becomes an
 * ordinary recorded change (next offset, in the outbox), its record keeping
 * who revoked it and why, marked `adoptedAt`, and is written to the audit
 * log as "adopted from Redis". Returns how many were adopted.
 */
export async function adoptFromRedis(
  pool: Pool,
  t: Tables,
  entries: ReadonlyMap<string, ProjectedEntry>,
  source: AdoptionSource,
  now: number,
  logger: Logger,
): Promise<number> {
  const live = [...entries].filter(([, entry]) => entry.pruneAt > now);
  let adopted = 0;
  for (let start = 0; start < live.length; start += PAGE) {
    const page = live.slice(start, start + PAGE);
    const members = page.map(([member]) => member);
    const { rows: heldRows } = await pool.query<{ member: string; prune_at: string; cutoff: string | null }>(
      `SELECT member, prune_at, cutoff FROM ${t.revocations} WHERE member = ANY($1)`,
      [members],
    );
    const held = new Map(
      heldRows.map((row) => [row.member, { pruneAt: Number(row.prune_at), cutoff: row.cutoff === null ? null : Number(row.cutoff) }]),
    );
    const { rows: lastRows } = await pool.query<{ member: string; reinstated: boolean; at: string }>(
      `SELECT DISTINCT ON (member) member, prune_at IS NULL AS reinstated, at FROM ${t.changes} WHERE member = ANY($1) ORDER BY member, change_offset DESC`,
      [members],
    );
    const last = new Map(lastRows.map((row) => [row.member, { reinstated: row.reinstated, at: Number(row.at) }]));
    const details = await source.details(members);
    for (const [index, [member, entry]] of page.entries()) {
      const parsed = parseMember(member);
      if (parsed === undefined) continue;
      const stored = storedRecord(details[index] ?? null);
      if (!mustAdopt(parsed.type, entry, now, held.get(member), last.get(member), stored?.revokedAt)) continue;
      const record: RevocationRecord = {
        type: parsed.type,
        id: parsed.id,
        ...(stored?.sub === undefined ? (parsed.type === 'subject' ? { sub: parsed.id } : {}) : { sub: stored.sub }),
        ...(parsed.type === 'subject' ? { cutoff: entry.cutoff as number } : { exp: stored?.exp ?? entry.pruneAt / 1000 }),
        ...(stored?.reason === undefined ? {} : { reason: stored.reason }),
        revokedBy: stored?.revokedBy ?? 'unknown (adopted from Redis)',
        revokedAt: stored?.revokedAt ?? now,
        pruneAt: entry.pruneAt,
        adoptedAt: now,
      };
      const cutoff = parsed.type === 'subject' ? (entry.cutoff as number) : null;
      const change = encodeChange({
        op: 'revoke',
        entry: { type: parsed.type, id: parsed.id, pruneAt: entry.pruneAt, ...(cutoff === null ? {} : { cutoff }) },
        at: now,
      });
      const { rows } = await pool.query<{ applied: boolean; assigned: string | null }>(
        `SELECT applied, assigned FROM ${t.recordChange}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          member,
          parsed.type,
          parsed.id,
          record.sub ?? null,
          entry.pruneAt,
          cutoff,
          reachOf({ type: parsed.type, ...entry }),
          JSON.stringify(record),
          change,
          now,
        ],
      );
      const row = rows[0];
      if (row?.applied !== true) continue;
      adopted++;
      logger.warn(
        {
          audit: {
            action: 'adopt',
            actor: 'redis',
            type: parsed.type,
            id: parsed.id,
            revokedBy: record.revokedBy,
            offset: Number(row.assigned),
          },
        },
        'revocation adopted from Redis: a writer that bypasses the record made it',
      );
    }
  }
  return adopted;
}

/** The fields of a record the Redis-only store kept, where they are readable. */
function storedRecord(
  json: string | null,
): Partial<Pick<RevocationRecord, 'sub' | 'exp' | 'reason' | 'revokedBy' | 'revokedAt'>> | undefined {
  if (json === null) return undefined;
  try {
    const value = JSON.parse(json) as Record<string, unknown>;
    return {
      ...(typeof value.sub === 'string' ? { sub: value.sub } : {}),
      ...(typeof value.exp === 'number' ? { exp: value.exp } : {}),
      ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
      ...(typeof value.revokedBy === 'string' ? { revokedBy: value.revokedBy } : {}),
      ...(Number.isSafeInteger(value.revokedAt) ? { revokedAt: value.revokedAt as number } : {}),
    };
  } catch {
    return undefined;
  }
}
