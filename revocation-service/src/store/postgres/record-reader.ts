import type { PoolClient, Pool } from 'pg';
import type { ProjectedChange, ProjectedEntry } from '../redis-projection.js';
import type { Tables } from './migrations.js';

/** The publication row: which epoch Redis should carry, and the last offset it confirmed under it. */
export interface Publication {
  readonly epoch: string | null;
  readonly published: number;
}

type Queryable = Pool | PoolClient;

/** pg returns bigint columns as strings; every offset and time here fits a double exactly. */
const num = (value: string | number): number => Number(value);

export async function readPublication(db: Queryable, t: Tables, lock = false): Promise<Publication> {
  const { rows } = await db.query<{ epoch: string | null; published: string }>(
    `SELECT epoch, published FROM ${t.publication}${lock ? ' FOR UPDATE' : ''}`,
  );
  const row = rows[0];
  return { epoch: row?.epoch ?? null, published: row === undefined ? 0 : num(row.published) };
}

export async function readLastOffset(db: Queryable, t: Tables): Promise<number> {
  const { rows } = await db.query<{ last_offset: string }>(`SELECT last_offset FROM ${t.history}`);
  return rows[0] === undefined ? 0 : num(rows[0].last_offset);
}

/** Changes after `offset`, oldest first, up to `limit` (or all up to `through`). */
export async function readChanges(db: Queryable, t: Tables, offset: number, limit: number, through?: number): Promise<ProjectedChange[]> {
  const { rows } = await db.query<{ change_offset: string; member: string; prune_at: string | null; cutoff: string | null; body: string }>(
    `SELECT change_offset, member, prune_at, cutoff, body FROM ${t.changes}
      WHERE change_offset > $1 AND ($2::bigint IS NULL OR change_offset <= $2) ORDER BY change_offset LIMIT $3`,
    [offset, through ?? null, limit],
  );
  return rows.map((row) => ({
    offset: num(row.change_offset),
    member: row.member,
    pruneAt: row.prune_at === null ? null : num(row.prune_at),
    cutoff: row.cutoff === null ? null : num(row.cutoff),
    body: row.body,
  }));
}

const PAGE = 5000;

/** Every live entry, in member order, a page at a time; run inside one snapshot transaction. */
export async function* readEntries(db: PoolClient, t: Tables): AsyncGenerator<Array<readonly [string, ProjectedEntry]>> {
  let after = '';
  for (;;) {
    const { rows } = await db.query<{ member: string; prune_at: string; cutoff: string | null }>(
      `SELECT member, prune_at, cutoff FROM ${t.revocations} WHERE member > $1 ORDER BY member LIMIT ${PAGE}`,
      [after],
    );
    yield rows.map(
      (row) =>
        [
          row.member,
          row.cutoff === null ? { pruneAt: num(row.prune_at) } : { pruneAt: num(row.prune_at), cutoff: num(row.cutoff) },
        ] as const,
    );
    const last = rows.at(-1);
    if (last === undefined || rows.length < PAGE) return;
    after = last.member;
  }
}

/**
 * Runs `work` in a read-only REPEATABLE READ transaction: everything it reads
 * is the record as of one instant, so the last offset and the entries agree.
 */
export async function inSnapshot<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
