import type { Pool, RowDataPacket } from 'mysql2/promise';
import { mysqlTableName, quoteMysqlIdent } from '../../sql/identifiers.ts';
import { displayName, type TableSettings } from '../settings.ts';
import type { ColumnInfo, TableFingerprint } from '../types.ts';
import { listMysqlTables, type MysqlTable } from './catalog.ts';

/**
 * Fingerprint the base tables of `schemas` in one statement, inside the server: per table
 * `COUNT(*)` and the sum of the first 64 bits of each row's MD5 (over the QUOTEd values of the
 * columns not ignored, so NULL and '' differ), as an exact DECIMAL that never wraps. MySQL has no
 * fast 64-bit hash function; one MD5 lane is the cost of a strong per-row hash there.
 */
export async function fingerprintMysql(pool: Pool, schemas: readonly string[], settings: TableSettings): Promise<TableFingerprint[]> {
  const tables = (await listMysqlTables(pool, schemas)).filter((t) => !settings.excludesTable(tableId(t)));
  if (tables.length === 0) return [];
  const parts = tables.map((t, i) => {
    const ignored = ignoredOf(t, settings);
    return `SELECT ${i} AS i, COUNT(*) AS n, ${hashSum(t.columns.filter((c) => !ignored.includes(c.name)))} AS h FROM ${mysqlTableName(t.schema, t.table)}`;
  });
  const [rows] = await pool.query<(RowDataPacket & { i: number; n: number | string; h: string | number })[]>(parts.join('\nUNION ALL\n'));
  const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
  return tables.map((t, i) => {
    const r = byIndex.get(i)!;
    const id = tableId(t);
    return {
      ...id,
      name: displayName(id),
      columns: t.columns,
      primaryKey: t.primaryKey,
      ignored: ignoredOf(t, settings),
      rows: Number(r.n),
      hash: String(r.h),
    };
  });
}

/** The row-hash text of `columns`: `QUOTE(value)`s joined, so NULL (the word) and '' (quoted) differ. */
export function rowText(columns: readonly ColumnInfo[], alias?: string): string {
  if (columns.length === 0) return "''";
  const ref = (c: ColumnInfo) => (alias ? `${alias}.${quoteMysqlIdent(c.name)}` : quoteMysqlIdent(c.name));
  return `CONCAT_WS(',', ${columns.map((c) => `QUOTE(CAST(${ref(c)} AS BINARY))`).join(', ')})`;
}

function hashSum(columns: readonly ColumnInfo[]): string {
  if (columns.length === 0) return "'0'";
  return `CAST(COALESCE(SUM(CAST(CONV(LEFT(MD5(${rowText(columns)}), 16), 16, 10) AS UNSIGNED)), 0) AS CHAR)`;
}

function tableId(t: MysqlTable) {
  return { backend: 'mysql' as const, schema: t.schema, table: t.table };
}

function ignoredOf(t: MysqlTable, settings: TableSettings): string[] {
  const names = new Set(t.columns.map((c) => c.name));
  return settings.ignoredColumns(tableId(t)).filter((c) => names.has(c));
}
