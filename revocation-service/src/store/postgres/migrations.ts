import type { Pool } from 'pg';
import { ID_CONSTRAINTS, validIdFunction } from './sql-id-rule.js';

/** Qualified table names inside the configured schema. */
export interface Tables {
  /** The schema's name, as configured. */
  readonly name: string;
  /** The schema, quoted for SQL. */
  readonly schema: string;
  /** Live revocations: the record itself. */
  readonly revocations: string;
  /** Every change with its offset: the outbox Redis is fed from. */
  readonly changes: string;
  /** One row: the last offset handed out. Locking it orders every change. */
  readonly history: string;
  /** One row: the epoch Redis should carry and the last offset it confirmed. */
  readonly publication: string;
  /** The function that records one change (see migration 1). */
  readonly recordChange: string;
  readonly migrations: string;
}

export function tables(schema: string): Tables {
  const q = `"${schema}"`;
  return {
    name: schema,
    schema: q,
    revocations: `${q}.revocations`,
    changes: `${q}.changes`,
    history: `${q}.history`,
    publication: `${q}.publication`,
    recordChange: `${q}.record_change`,
    migrations: `${q}.schema_migrations`,
  };
}

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (t: Tables) => string;
}

/** Append only: a released migration never changes, a new one gets the next version. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'revocations, changes, history, publication',
    sql: (t) => `
      CREATE TABLE ${t.revocations} (
        member        text PRIMARY KEY,
        type          text NOT NULL CHECK (type IN ('token', 'subject', 'session')),
        id            text NOT NULL,
        sub           text,
        prune_at      bigint NOT NULL,
        cutoff        bigint,
        change_offset bigint NOT NULL,
        record        jsonb NOT NULL
      );
      CREATE INDEX revocations_by_sub ON ${t.revocations} (sub, member) WHERE sub IS NOT NULL;
      CREATE INDEX revocations_by_type ON ${t.revocations} (type, member);
      CREATE INDEX revocations_by_prune_at ON ${t.revocations} (prune_at);
      CREATE TABLE ${t.changes} (
        change_offset bigint PRIMARY KEY,
        member        text NOT NULL,
        prune_at      bigint,
        cutoff        bigint,
        body          text NOT NULL,
        at            bigint NOT NULL
      );
      CREATE TABLE ${t.history} (
        singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        last_offset bigint NOT NULL DEFAULT 0
      );
      INSERT INTO ${t.history} DEFAULT VALUES;
      CREATE TABLE ${t.publication} (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        epoch     text,
        published bigint NOT NULL DEFAULT 0
      );
      INSERT INTO ${t.publication} DEFAULT VALUES;

      -- One change in one round trip. Locking the history row first orders every
      -- change across replicas: offsets follow commit order, with no gaps.
      -- p_prune_at NULL means reinstate. Returns whether anything changed, the
      -- record now in force (or removed), and the change's offset.
      CREATE FUNCTION ${t.schema}.record_change(
        p_member text, p_type text, p_id text, p_sub text, p_prune_at bigint, p_cutoff bigint,
        p_rank bigint, p_record jsonb, p_body text, p_at bigint)
      RETURNS TABLE (applied boolean, stored jsonb, assigned bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_offset bigint;
        v_record jsonb;
        v_rank bigint;
      BEGIN
        SELECT h.last_offset + 1 INTO v_offset FROM ${t.history} h FOR UPDATE;
        IF p_prune_at IS NULL THEN
          DELETE FROM ${t.revocations} r WHERE r.member = p_member RETURNING r.record INTO v_record;
          IF NOT FOUND THEN
            RETURN QUERY SELECT false, NULL::jsonb, NULL::bigint;
            RETURN;
          END IF;
        ELSE
          SELECT r.record, CASE WHEN r.type = 'subject' THEN r.cutoff ELSE r.prune_at END
            INTO v_record, v_rank FROM ${t.revocations} r WHERE r.member = p_member;
          -- The same or a wider revocation is in force: nothing to write.
          IF FOUND AND v_rank >= p_rank THEN
            RETURN QUERY SELECT false, v_record, NULL::bigint;
            RETURN;
          END IF;
          v_record := p_record || jsonb_build_object('offset', v_offset);
          INSERT INTO ${t.revocations} AS r (member, type, id, sub, prune_at, cutoff, change_offset, record)
            VALUES (p_member, p_type, p_id, p_sub, p_prune_at, p_cutoff, v_offset, v_record)
            ON CONFLICT (member) DO UPDATE SET sub = EXCLUDED.sub, prune_at = EXCLUDED.prune_at,
              cutoff = EXCLUDED.cutoff, change_offset = EXCLUDED.change_offset, record = EXCLUDED.record;
        END IF;
        UPDATE ${t.history} SET last_offset = v_offset;
        INSERT INTO ${t.changes} (change_offset, member, prune_at, cutoff, body, at)
          VALUES (v_offset, p_member, p_prune_at, p_cutoff, p_body, p_at);
        RETURN QUERY SELECT true, v_record, v_offset;
      END
      $fn$;
    `,
  },
  {
    version: 2,
    name: 'the protocol id rule on stored ids',
    // NOT VALID: rows written before stay (they are pruned in time); every new or changed row is checked.
    sql: (t) => `
      ${validIdFunction(t)}
      ALTER TABLE ${t.revocations} ADD CONSTRAINT ${ID_CONSTRAINTS.id} CHECK (${t.schema}.valid_id(id)) NOT VALID;
      ALTER TABLE ${t.revocations} ADD CONSTRAINT ${ID_CONSTRAINTS.sub} CHECK (sub IS NULL OR ${t.schema}.valid_id(sub)) NOT VALID;
    `,
  },
];

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to date. Safe to run from several replicas at once:
 * an advisory lock makes them take turns, and each migration is recorded in
 * the same transaction that applies it. Returns the versions applied now.
 */
export async function migrate(pool: Pool, t: Tables): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`revocast-migrate:${t.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${t.schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${t.migrations}`);
    const done = new Set(rows.map((row) => row.version));
    const newest = Math.max(0, ...done);
    if (newest > SCHEMA_VERSION) {
      throw new Error(
        `the database schema is at version ${newest}, newer than this release knows (${SCHEMA_VERSION}); upgrade the service`,
      );
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql(t));
      await client.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    // Generated from MAX_ID_LENGTH: re-created on every start so the copy in SQL follows the constant.
    await client.query(validIdFunction(t));
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
