import type { Pool } from 'pg';
import { pgTableName, quotePgIdent } from '../../sql/identifiers.ts';
import { sampleRow, type DiffSide, type RelationDiffQuery, type RelationDiffResult } from '../relation-diff.ts';
import type { DiffRow } from '../types.ts';

const K = '"dgbx__k"';
const N = '"dgbx__n"';

/**
 * Diff two relations of the warehouse inside the database: a FULL JOIN on the key's text form
 * (and the occurrence number within equal keys when the key is not unique) counts common,
 * only-before, only-after and changed rows and per-column matches in one pass; a second query
 * fetches the first differing rows in key order, as text.
 */
export async function diffPostgres(pool: Pool, q: RelationDiffQuery): Promise<RelationDiffResult> {
  const shown = [...q.key, ...q.compare];
  const differs = q.compare.map((c) => distinct(q, c));
  const both = `b.${K} IS NOT NULL AND a.${K} IS NOT NULL`;
  const anyDiff = differs.length > 0 ? differs.join(' OR ') : 'false';
  const from = `FROM (${side(q.before, q)}) b FULL JOIN (${side(q.after, q)}) a ON a.${K} = b.${K} AND a.${N} = b.${N}`;

  const counts = await pool.query(
    `SELECT count(b.${K})::int AS rows_before, count(a.${K})::int AS rows_after,
            count(*) FILTER (WHERE ${both})::int AS common,
            count(*) FILTER (WHERE a.${K} IS NULL)::int AS only_before,
            count(*) FILTER (WHERE b.${K} IS NULL)::int AS only_after,
            count(*) FILTER (WHERE b.${K} IS NULL AND a.${N} > 1)::int AS dup_after,
            count(*) FILTER (WHERE ${both} AND (${anyDiff}))::int AS changed
            ${differs.map((d, i) => `, count(*) FILTER (WHERE ${both} AND NOT (${d}))::int AS m${i}`).join('')}
       ${from}`,
  );
  const c = counts.rows[0] as Record<string, number>;
  const matched = new Map(q.compare.map((col, i) => [col, c[`m${i}`]!]));

  const order = [...q.key.map((k) => keyOrder(q, k)), `coalesce(b.${N}, a.${N})`].join(', ');
  const sampleSql = `SELECT CASE WHEN a.${K} IS NULL THEN 'only-before' WHEN b.${K} IS NULL THEN 'only-after' ELSE 'changed' END AS kind,
      b.${K} IS NOT NULL AS has_b, a.${K} IS NOT NULL AS has_a
      ${shown.map((col, i) => `, b.${quotePgIdent(col)}::text AS b${i}, a.${quotePgIdent(col)}::text AS a${i}`).join('')}
      ${differs.map((d, i) => `, coalesce(${d}, false) AS x${i}`).join('')}
    ${from}
    WHERE a.${K} IS NULL OR b.${K} IS NULL OR ${anyDiff}
    ORDER BY ${order}
    LIMIT ${Math.max(0, Math.floor(q.sampleRows))}`;
  const samples: DiffRow[] = (await pool.query(sampleSql)).rows.map((r: Record<string, unknown>) => {
    const values = (prefix: string) => shown.map((_, i) => r[`${prefix}${i}`] as string | null);
    const changedColumns = r.kind === 'changed' ? q.compare.filter((_, i) => r[`x${i}`] === true) : [];
    return sampleRow(r.kind as DiffRow['kind'], shown, r.has_b ? values('b') : null, r.has_a ? values('a') : null, changedColumns);
  });
  return {
    rowsBefore: c.rows_before!,
    rowsAfter: c.rows_after!,
    common: c.common!,
    onlyBefore: c.only_before!,
    onlyAfter: c.only_after!,
    changed: c.changed!,
    duplicatesAfter: c.dup_after!,
    matched,
    samples,
  };
}

/** One side as a subquery: key text, occurrence number, key and compared columns. */
function side(s: DiffSide, q: RelationDiffQuery): string {
  const keyText = `ROW(${q.key.map(quotePgIdent).join(', ')})::text`;
  const all = `ROW(${s.columns.map((c) => quotePgIdent(c.name)).join(', ')})::text`;
  const n = q.unique ? '1' : `row_number() OVER (PARTITION BY ${keyText} ORDER BY ${all})`;
  const cols = [...q.key, ...q.compare].map(quotePgIdent).join(', ');
  return `SELECT ${keyText} AS ${K}, ${n} AS ${N}${cols ? `, ${cols}` : ''} FROM ${pgTableName(s.schema, s.table)}`;
}

/** `b.c IS DISTINCT FROM a.c`, through text when the types differ or have no equality. */
function distinct(q: RelationDiffQuery, column: string): string {
  const col = quotePgIdent(column);
  return sameTyped(q, column) ? `b.${col} IS DISTINCT FROM a.${col}` : `b.${col}::text IS DISTINCT FROM a.${col}::text`;
}

function keyOrder(q: RelationDiffQuery, column: string): string {
  const col = quotePgIdent(column);
  return sameTyped(q, column) ? `coalesce(b.${col}, a.${col})` : `coalesce(b.${col}::text, a.${col}::text)`;
}

function sameTyped(q: RelationDiffQuery, column: string): boolean {
  const b = q.before.columns.find((c) => c.name === column);
  const a = q.after.columns.find((c) => c.name === column);
  return b !== undefined && a !== undefined && b.type === a.type && b.comparable !== false && a.comparable !== false;
}

/** The first `limit` rows of a relation in `order`, as text, for a table that exists on one side only. */
export async function firstRowsPostgres(pool: Pool, s: DiffSide, columns: readonly string[], order: readonly string[], limit: number): Promise<(string | null)[][]> {
  if (columns.length === 0 || limit <= 0) return [];
  const orderBy = order.length > 0 ? ` ORDER BY ${order.map(quotePgIdent).join(', ')}` : '';
  const { rows } = await pool.query({
    text: `SELECT ${columns.map((c) => `${quotePgIdent(c)}::text`).join(', ')} FROM ${pgTableName(s.schema, s.table)}${orderBy} LIMIT ${Math.floor(limit)}`,
    rowMode: 'array',
  });
  return rows as (string | null)[][];
}
