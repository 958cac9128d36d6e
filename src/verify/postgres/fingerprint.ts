import type { Pool } from 'pg';
import { quotePgIdent, pgTableName } from '../../sql/identifiers.ts';
import { displayName, type TableSettings } from '../settings.ts';
import type { TableFingerprint } from '../types.ts';
import { listPgTables, type PgColumn, type PgTable } from './catalog.ts';

/** PostgreSQL 14 added hash_record_extended; older servers hash the row's text form. */
const HASH_RECORD_VERSION = 140000;

/**
 * Fingerprint every user table of the warehouse in one statement, inside the database: per table
 * `count(*)` and two sums of a seeded 64-bit hash of each row (hash_record_extended over the
 * columns not ignored, seeds 0 and 1). Sums are order-independent and, as numeric, never wrap,
 * so a duplicated row changes them; the two seeds give 128 bits against chance collisions.
 * No row leaves the server.
 */
export async function fingerprintPostgres(pool: Pool, settings: TableSettings, version: number): Promise<TableFingerprint[]> {
  const tables = (await listPgTables(pool)).filter((t) => !settings.excludesTable(tableId(t)));
  return fingerprintPgTables(pool, tables, settings, version);
}

/** {@link fingerprintPostgres} of the tables given (from {@link listPgTables}). */
export async function fingerprintPgTables(pool: Pool, tables: readonly PgTable[], settings: TableSettings, version: number): Promise<TableFingerprint[]> {
  if (tables.length === 0) return [];
  const parts = tables.map((t, i) => {
    const ignored = ignoredOf(t, settings);
    return `SELECT ${i} AS i, count(*)::text AS n, ${hashExpression(t.columns.filter((c) => !ignored.includes(c.name)), version)} AS h FROM ${pgTableName(t.schema, t.table)}`;
  });
  const { rows } = await pool.query<{ i: number; n: string; h: string }>(parts.join('\nUNION ALL\n'));
  const byIndex = new Map(rows.map((r) => [r.i, r]));
  return tables.map((t, i) => {
    const r = byIndex.get(i)!;
    return fingerprintOf(t, settings, { rows: Number(r.n), hash: r.h });
  });
}

/** The fingerprint of a table whose row count and content hash are known. */
export function fingerprintOf(t: PgTable, settings: TableSettings, known: { rows: number; hash: string }): TableFingerprint {
  const id = tableId(t);
  return {
    ...id,
    name: displayName(id),
    columns: t.columns.map(({ name, type, family, generated }) => ({ name, type, family, generated })),
    primaryKey: t.primaryKey,
    ignored: ignoredOf(t, settings),
    rows: known.rows,
    hash: known.hash,
  };
}

/** `server_version_num` of the warehouse. */
export async function postgresVersion(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(rows[0]!.v);
}

/** The hash-sum expression over `columns` (text of `sum0:sum1`); `'0:0'` when every column is ignored. */
export function hashExpression(columns: readonly PgColumn[], version: number): string {
  if (columns.length === 0) return `'0:0'`;
  const seeded = (seed: number) => {
    if (version >= HASH_RECORD_VERSION) {
      const fields = columns.map((c) => (c.hashable ? quotePgIdent(c.name) : `${quotePgIdent(c.name)}::text`)).join(', ');
      return `coalesce(sum(hash_record_extended(ROW(${fields}), ${seed})), 0)::text`;
    }
    const fields = columns.map((c) => quotePgIdent(c.name)).join(', ');
    return `coalesce(sum(hashtextextended(ROW(${fields})::text, ${seed})), 0)::text`;
  };
  return `${seeded(0)} || ':' || ${seeded(1)}`;
}

/** The table's identity as verification settings see it. */
export function tableId(t: PgTable) {
  return { backend: 'postgres' as const, schema: t.schema, table: t.table };
}

/** The ignored columns of `t` that it has. */
export function ignoredOf(t: PgTable, settings: TableSettings): string[] {
  const names = new Set(t.columns.map((c) => c.name));
  return settings.ignoredColumns(tableId(t)).filter((c) => names.has(c));
}
