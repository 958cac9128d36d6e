import type { Pool, RowDataPacket } from 'mysql2/promise';
import { mysqlTableName, quoteMysqlIdent } from '../../sql/identifiers.ts';

/**
 * Rewrite a source table with the same rows in the reverse physical order, in one transaction.
 * InnoDB keeps rows in primary-key order, so only a table without a primary key (rows in
 * insertion order) can be reordered; false (nothing changed) for the others, and for tables with
 * triggers or that a foreign key points at.
 */
export async function reverseMysqlTable(pool: Pool, schema: string, table: string): Promise<boolean> {
  const conn = await pool.getConnection();
  try {
    const [info] = await conn.query<RowDataPacket[]>(
      `SELECT
         (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE')) AS keyed,
         (SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ?) AS referenced,
         (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ?) AS triggers,
         (SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA LIKE '%GENERATED%') AS generated`,
      [schema, table, schema, table, schema, table, schema, table],
    );
    const row = info[0]!;
    if (Number(row.keyed) > 0 || Number(row.referenced) > 0 || Number(row.triggers) > 0 || Number(row.generated) > 0) return false;
    const [cols] = await conn.query<RowDataPacket[]>('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [schema, table]);
    const list = cols.map((c) => quoteMysqlIdent(String(c.c))).join(', ');
    const name = mysqlTableName(schema, table);
    await conn.query('DROP TEMPORARY TABLE IF EXISTS dgbx_reorder');
    await conn.query(`CREATE TEMPORARY TABLE dgbx_reorder AS SELECT ROW_NUMBER() OVER () AS dgbx_n, ${list} FROM ${name}`);
    await conn.query('START TRANSACTION');
    try {
      await conn.query(`DELETE FROM ${name}`);
      await conn.query(`INSERT INTO ${name} (${list}) SELECT ${list} FROM dgbx_reorder ORDER BY dgbx_n DESC`);
      await conn.query('COMMIT');
    } catch (error) {
      await conn.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      await conn.query('DROP TEMPORARY TABLE IF EXISTS dgbx_reorder').catch(() => {});
    }
    return true;
  } finally {
    conn.release();
  }
}
