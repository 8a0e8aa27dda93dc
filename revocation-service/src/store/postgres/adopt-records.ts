import type { Pool } from 'pg';
import { isRevocationType, memberOf } from '@revocast/verifier-sdk/protocol';
import type { RevocationRecord } from '../../model/revocation.js';
import type { Tables } from './migrations.js';

/**
 * Copies the revocations a Redis-only deployment recorded into an empty
 * record, so that turning PostgreSQL on does not re-seed Redis with nothing.
 * Runs only while the record has never held a change; safe to run from
 * several replicas at once. Returns how many records were adopted.
 */
export async function adoptRecords(pool: Pool, t: Tables, pages: AsyncIterable<readonly string[]>): Promise<number> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ last_offset: string }>(`SELECT last_offset FROM ${t.history} FOR UPDATE`);
    const { rows: existing } = await client.query(`SELECT 1 FROM ${t.revocations} LIMIT 1`);
    if (Number(rows[0]?.last_offset ?? 0) !== 0 || existing.length > 0) {
      await client.query('COMMIT');
      return 0;
    }
    let adopted = 0;
    for await (const page of pages) {
      for (const json of page) {
        const record = parse(json);
        if (record === undefined) continue;
        const result = await client.query(
          `INSERT INTO ${t.revocations} (member, type, id, sub, prune_at, cutoff, change_offset, record)
           VALUES ($1, $2, $3, $4, $5, $6, 0, $7::jsonb) ON CONFLICT (member) DO NOTHING`,
          [memberOf(record.type, record.id), record.type, record.id, record.sub ?? null, record.pruneAt, record.cutoff ?? null, json],
        );
        adopted += result.rowCount ?? 0;
      }
    }
    await client.query('COMMIT');
    return adopted;
  } catch (err) {
    broken = err as Error;
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release(broken);
  }
}

/** A record as the Redis store wrote it; anything unreadable is skipped. */
function parse(json: string): RevocationRecord | undefined {
  try {
    const record = JSON.parse(json) as Partial<RevocationRecord>;
    const { type, id, pruneAt, cutoff } = record;
    if (!isRevocationType(type) || typeof id !== 'string' || id === '' || !Number.isSafeInteger(pruneAt)) return undefined;
    if (type === 'subject' && !Number.isSafeInteger(cutoff)) return undefined;
    return record as RevocationRecord;
  } catch {
    return undefined;
  }
}
