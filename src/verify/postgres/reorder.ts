import type { Pool } from 'pg';
import { pgTableName, quotePgIdent } from '../../sql/identifiers.ts';

/**
 * Rewrite a table with the same rows in the reverse physical order, in one transaction, so the
 * next sequential scan returns them backwards: ties under `ORDER BY ... LIMIT`, a missing
 * `ORDER BY` and order-dependent aggregates then give another answer, as they may on Redshift,
 * whose slices return rows in no fixed order. Returns false (and changes nothing) for a table it
 * must not rewrite: one a foreign key points at or with triggers (a DELETE would cascade or fire
 * them; dagbox's own write-tracking trigger only marks the table written), or with generated columns.
 */
export async function reversePostgresTable(pool: Pool, schema: string, table: string): Promise<boolean> {
  const name = pgTableName(schema, table);
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ blocked: boolean; columns: string[] | null }>(
      `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = c.oid)
           OR EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal AND tgname <> 'dgbx_track_writes')
           OR EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped AND (attgenerated <> '' OR attidentity = 'a')) AS blocked,
              (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'`,
      [schema, table],
    );
    const info = rows[0];
    if (!info || info.blocked || !info.columns || info.columns.length === 0) return false;
    const cols = info.columns.map(quotePgIdent).join(', ');
    await client.query('BEGIN');
    try {
      await client.query(`CREATE TEMP TABLE dgbx_reorder ON COMMIT DROP AS SELECT ctid AS dgbx_ctid, ${cols} FROM ${name}`);
      await client.query(`DELETE FROM ${name}`);
      await client.query(`INSERT INTO ${name} (${cols}) SELECT ${cols} FROM dgbx_reorder ORDER BY dgbx_ctid DESC`);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  } finally {
    client.release();
  }
}

/**
 * Where a table's rows physically are: a digest of every row version's location and writing
 * transaction. Any rewrite changes it, even one that leaves the same content (a REPLACE load).
 */
export async function postgresPhysicalSignature(pool: Pool, schema: string, table: string): Promise<string> {
  const { rows } = await pool.query<{ sig: string }>(`SELECT md5(coalesce(string_agg(ctid::text || xmin::text, ',' ORDER BY ctid), '')) AS sig FROM ${pgTableName(schema, table)}`);
  return rows[0]!.sig;
}
