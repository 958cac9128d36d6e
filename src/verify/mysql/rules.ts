import type { Pool, RowDataPacket } from 'mysql2/promise';
import { mysqlTableName, quoteMysqlIdent } from '../../sql/identifiers.ts';
import type { RuleViolations, TimeBounds } from '../rules.ts';
import type { ColumnInfo } from '../types.ts';
import { rowText } from './fingerprint.ts';

/**
 * Rows of `live` not in `kept` (a multiset difference: rows numbered within equal MD5 row
 * hashes) whose event time lies outside `bounds`, counted and sampled inside the server.
 */
export async function rowsOutsideMysql(
  pool: Pool,
  live: { schema: string; table: string },
  kept: { schema: string; table: string } | null,
  columns: readonly ColumnInfo[],
  event: { column: string; type: string },
  bounds: TimeBounds,
  limit: number,
): Promise<RuleViolations> {
  const hash = `MD5(${rowText(columns)})`;
  const cols = columns.map((c) => quoteMysqlIdent(c.name)).join(', ');
  const side = (t: { schema: string; table: string }) =>
    `SELECT ${cols}, ${hash} AS dgbx__h, ROW_NUMBER() OVER (PARTITION BY ${hash}) AS dgbx__n FROM ${mysqlTableName(t.schema, t.table)}`;
  const from = kept
    ? `FROM (${side(live)}) w LEFT JOIN (${side(kept)}) k ON k.dgbx__h = w.dgbx__h AND k.dgbx__n = w.dgbx__n WHERE k.dgbx__h IS NULL AND`
    : `FROM ${mysqlTableName(live.schema, live.table)} w WHERE`;
  const ev = `w.${quoteMysqlIdent(event.column)}`;
  const type = event.type.toLowerCase();
  const outside = type.startsWith('timestamp')
    ? `(${ev} IS NULL OR NOT (UNIX_TIMESTAMP(${ev}) >= ? AND UNIX_TIMESTAMP(${ev}) < ?))`
    : `(${ev} IS NULL OR NOT (${ev} >= ? AND ${ev} < ?))`;
  const values = type.startsWith('timestamp') ? [bounds.fromEpoch, bounds.toEpoch] : type === 'date' ? [bounds.fromDate, bounds.toDate] : [bounds.fromUtc, bounds.toUtc];
  const [count] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n ${from} ${outside}`, values);
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${columns.map((c, i) => `CAST(w.${quoteMysqlIdent(c.name)} AS CHAR) AS v${i}`).join(', ')} ${from} ${outside} ORDER BY ${ev} LIMIT ${Math.floor(limit)}`,
    values,
  );
  return { count: Number(count[0]!.n), rows: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, (r[`v${i}`] as string | null) ?? null]))) };
}

/** Key values that occur more than once, counted and sampled. */
export async function duplicateKeysMysql(pool: Pool, t: { schema: string; table: string }, key: readonly string[], limit: number): Promise<RuleViolations> {
  const k = key.map(quoteMysqlIdent).join(', ');
  const dup = `SELECT ${k}, COUNT(*) AS copies FROM ${mysqlTableName(t.schema, t.table)} GROUP BY ${k} HAVING COUNT(*) > 1`;
  const [count] = await pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM (${dup}) d`);
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${key.map((c, i) => `CAST(${quoteMysqlIdent(c)} AS CHAR) AS v${i}`).join(', ')}, copies FROM (${dup}) d ORDER BY ${k} LIMIT ${Math.floor(limit)}`,
  );
  return {
    count: Number(count[0]!.n),
    rows: rows.map((r) => ({ ...Object.fromEntries(key.map((c, i) => [c, (r[`v${i}`] as string | null) ?? null])), copies: String(r.copies) })),
  };
}
