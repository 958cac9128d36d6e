import type { Pool, RowDataPacket } from 'mysql2/promise';
import { mysqlTableName, quoteMysqlIdent } from '../../sql/identifiers.ts';
import { compareByKey, sampleRow, type DiffSide, type RelationDiffQuery, type RelationDiffResult } from '../relation-diff.ts';
import type { DiffRow } from '../types.ts';
import { rowText } from './fingerprint.ts';

const K = '`dgbx__k`';
const N = '`dgbx__n`';

/**
 * Diff two tables of the source database inside the server. MySQL has no FULL JOIN: a LEFT JOIN
 * from the earlier rows counts common, only-before, changed and per-column matches; only-after is
 * the later count minus the common rows (the join pairs rows one to one); samples come from both
 * directions, cut to the first N in key order.
 */
export async function diffMysql(pool: Pool, q: RelationDiffQuery): Promise<RelationDiffResult> {
  const shown = [...q.key, ...q.compare];
  const equal = q.compare.map((c) => `b.${quoteMysqlIdent(c)} <=> a.${quoteMysqlIdent(c)}`);
  const allEqual = equal.length > 0 ? equal.join(' AND ') : 'TRUE';
  const b = side(q.before, q);
  const a = side(q.after, q);
  const on = `a.${K} = b.${K} AND a.${N} = b.${N}`;

  const [countRows] = await pool.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS rows_before, COALESCE(SUM(a.${K} IS NOT NULL), 0) AS common, COALESCE(SUM(a.${K} IS NULL), 0) AS only_before,
            COALESCE(SUM(a.${K} IS NOT NULL AND NOT (${allEqual})), 0) AS changed
            ${equal.map((e, i) => `, COALESCE(SUM(a.${K} IS NOT NULL AND (${e})), 0) AS m${i}`).join('')}
       FROM (${b}) b LEFT JOIN (${a}) a ON ${on}`,
  );
  const [afterRows] = await pool.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n, COALESCE(SUM(b.${K} IS NULL AND a.${N} > 1), 0) AS dup FROM (${a}) a LEFT JOIN (${b}) b ON ${on}`,
  );
  const c = countRows[0]!;
  const common = Number(c.common);
  const rowsAfter = Number(afterRows[0]!.n);

  const limit = Math.max(0, Math.floor(q.sampleRows));
  const cols = (alias: string, prefix: string) => shown.map((col, i) => `CAST(${alias}.${quoteMysqlIdent(col)} AS CHAR) AS ${prefix}${i}`).join(', ');
  const nulls = (prefix: string) => shown.map((_, i) => `NULL AS ${prefix}${i}`).join(', ');
  const flags = (present: boolean) => equal.map((e, i) => `${present ? `NOT (${e})` : 'FALSE'} AS x${i}`).join(', ');
  const orderBy = (alias: string) => [...q.key.map((k) => `${alias}.${quoteMysqlIdent(k)}`), `${alias}.${N}`].join(', ');
  const list = (...parts: string[]) => parts.filter((p) => p.length > 0).join(', ');
  const [sampleRows] = await pool.query<RowDataPacket[]>(
    `(SELECT ${list(`IF(a.${K} IS NULL, 'only-before', 'changed') AS kind`, cols('b', 'b'), cols('a', 'a'), flags(true))}
        FROM (${b}) b LEFT JOIN (${a}) a ON ${on}
       WHERE a.${K} IS NULL OR NOT (${allEqual}) ORDER BY ${orderBy('b')} LIMIT ${limit})
     UNION ALL
     (SELECT ${list(`'only-after' AS kind`, nulls('b'), cols('a', 'a'), flags(false))}
        FROM (${a}) a LEFT JOIN (${b}) b ON ${on}
       WHERE b.${K} IS NULL ORDER BY ${orderBy('a')} LIMIT ${limit})`,
  );
  const samples: DiffRow[] = sampleRows
    .map((r) => {
      const values = (prefix: string) => shown.map((_, i) => (r[`${prefix}${i}`] as string | null) ?? null);
      const kind = r.kind as DiffRow['kind'];
      const changedColumns = kind === 'changed' ? q.compare.filter((_, i) => Number(r[`x${i}`]) === 1) : [];
      return sampleRow(kind, shown, kind === 'only-after' ? null : values('b'), kind === 'only-before' ? null : values('a'), changedColumns);
    })
    .sort(compareByKey(q.key))
    .slice(0, limit);
  return {
    rowsBefore: Number(c.rows_before),
    rowsAfter,
    common,
    onlyBefore: Number(c.only_before),
    onlyAfter: rowsAfter - common,
    changed: Number(c.changed),
    duplicatesAfter: Number(afterRows[0]!.dup),
    matched: new Map(q.compare.map((col, i) => [col, Number(c[`m${i}`])])),
    samples,
  };
}

/** One side as a derived table: MD5 of the key's values, occurrence number, key and compared columns. */
function side(s: DiffSide, q: RelationDiffQuery): string {
  const keyColumns = q.key.map((k) => s.columns.find((c) => c.name === k)!).filter(Boolean);
  const keyHash = `MD5(${rowText(keyColumns)})`;
  const n = q.unique ? '1' : `ROW_NUMBER() OVER (PARTITION BY ${keyHash} ORDER BY ${rowText(s.columns)})`;
  const cols = [...q.key, ...q.compare].map(quoteMysqlIdent).join(', ');
  return `SELECT ${keyHash} AS ${K}, ${n} AS ${N}${cols ? `, ${cols}` : ''} FROM ${mysqlTableName(s.schema, s.table)}`;
}

/** The first `limit` rows of a table in `order`, as text, for a table that exists on one side only. */
export async function firstRowsMysql(pool: Pool, s: DiffSide, columns: readonly string[], order: readonly string[], limit: number): Promise<(string | null)[][]> {
  if (columns.length === 0 || limit <= 0) return [];
  const orderBy = order.length > 0 ? ` ORDER BY ${order.map(quoteMysqlIdent).join(', ')}` : '';
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT ${columns.map((c, i) => `CAST(${quoteMysqlIdent(c)} AS CHAR) AS v${i}`).join(', ')} FROM ${mysqlTableName(s.schema, s.table)}${orderBy} LIMIT ${Math.floor(limit)}`,
  );
  return rows.map((r) => columns.map((_, i) => (r[`v${i}`] as string | null) ?? null));
}
