import type { Pool } from 'mysql2/promise';
import { mysqlTableName, quoteMysqlIdent } from '../../sql/identifiers.ts';

/**
 * Copy a table into the keep database (`CREATE TABLE ... AS SELECT *`), inside the server. The
 * keep database is not one a restore touches, so copies outlive restores.
 */
export async function keepMysqlTable(pool: Pool, keepDb: string, name: string, from: { schema: string; table: string }): Promise<void> {
  await pool.query(`CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdent(keepDb)}`);
  await pool.query(`CREATE TABLE ${mysqlTableName(keepDb, name)} AS SELECT * FROM ${mysqlTableName(from.schema, from.table)}`);
}

/** Drop kept tables (no error for tables already gone). */
export async function dropMysqlKept(pool: Pool, keepDb: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await pool.query(`DROP TABLE IF EXISTS ${names.map((n) => mysqlTableName(keepDb, n)).join(', ')}`);
}

/** Drop the keep database. */
export async function dropMysqlKeepDb(pool: Pool, keepDb: string): Promise<void> {
  await pool.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(keepDb)}`);
}
