import type { Pool } from 'pg';
import { pgTableName, quotePgIdent } from '../../sql/identifiers.ts';
import type { RuleViolations, TimeBounds } from '../rules.ts';

/**
 * Rows of `live` that are not in `kept` (a multiset difference over `columns`: what a run wrote
 * or changed) whose event time lies outside `bounds`, counted and sampled inside the database.
 */
export async function rowsOutsidePostgres(
  pool: Pool,
  live: { schema: string; table: string },
  kept: { schema: string; table: string } | null,
  columns: readonly string[],
  event: { column: string; type: string },
  bounds: TimeBounds,
  limit: number,
): Promise<RuleViolations> {
  const cols = columns.map(quotePgIdent).join(', ');
  const written = kept
    ? `SELECT ${cols} FROM ${pgTableName(live.schema, live.table)} EXCEPT ALL SELECT ${cols} FROM ${pgTableName(kept.schema, kept.table)}`
    : `SELECT ${cols} FROM ${pgTableName(live.schema, live.table)}`;
  const ev = quotePgIdent(event.column);
  const [lo, hi] = event.type === 'date' ? [bounds.fromDate, bounds.toDate] : event.type.includes('with time zone') ? [bounds.fromIso, bounds.toIso] : [bounds.fromUtc, bounds.toUtc];
  const cast = event.type === 'date' ? 'date' : event.type.includes('with time zone') ? 'timestamptz' : 'timestamp';
  const outside = `${ev} IS NULL OR NOT (${ev} >= $1::${cast} AND ${ev} < $2::${cast})`;
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM (${written}) w WHERE ${outside}`, [lo, hi]);
  const samples = await pool.query({
    text: `SELECT ${columns.map((c) => `${quotePgIdent(c)}::text`).join(', ')} FROM (${written}) w WHERE ${outside} ORDER BY ${ev} LIMIT ${Math.floor(limit)}`,
    values: [lo, hi],
    rowMode: 'array',
  });
  return { count: rows[0].n, rows: samples.rows.map((r: (string | null)[]) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null]))) };
}

/** Key values that occur more than once, counted and sampled. */
export async function duplicateKeysPostgres(pool: Pool, t: { schema: string; table: string }, key: readonly string[], limit: number): Promise<RuleViolations> {
  const k = key.map(quotePgIdent).join(', ');
  const dup = `SELECT ${k}, count(*) AS copies FROM ${pgTableName(t.schema, t.table)} GROUP BY ${k} HAVING count(*) > 1`;
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM (${dup}) d`);
  const samples = await pool.query({ text: `SELECT ${key.map((c) => `${quotePgIdent(c)}::text`).join(', ')}, copies::text FROM (${dup}) d ORDER BY ${k} LIMIT ${Math.floor(limit)}`, rowMode: 'array' });
  return { count: rows[0].n, rows: samples.rows.map((r: (string | null)[]) => Object.fromEntries([...key, 'copies'].map((c, i) => [c, r[i] ?? null]))) };
}
