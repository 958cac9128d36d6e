import type { ClientBase } from 'pg';
import { quotePgIdent } from '../sql/identifiers.ts';
import { rawClient } from '../warehouse/warehouse-pool.ts';

/** How a load treats the rows already in the table (Airflow's S3ToRedshiftOperator `method`). */
export type LoadMethod = 'REPLACE' | 'APPEND' | 'UPSERT';

/** A Postgres table: schema (null: the search path) and name. */
export interface PgTable {
  schema: string | null;
  table: string;
}

/** Options of {@link loadPostgresTable}. */
export interface PostgresLoad {
  table: PgTable;
  method: LoadMethod;
  /** UPSERT keys; default the table's primary key. */
  upsertKeys?: readonly string[];
  /**
   * UPSERT: when the new rows hold a key more than once, keep the one with the greatest value of
   * this column (ROW_NUMBER() OVER (PARTITION BY keys ORDER BY it DESC) = 1). Without it,
   * repeated keys are an error that names them.
   */
  upsertOrderBy?: string;
  /** Load the rows into `target` (the table, or the staging table); returns the rows loaded. */
  copy: (client: ClientBase, target: string) => Promise<number>;
  /** Where verification may inject failures (ctx.faultPoint). */
  faultPoint: (site: string, detail?: { rows?: number }) => void;
  log?: (line: string) => void;
}

/** What a load did. */
export interface LoadResult {
  table: string;
  method: LoadMethod;
  /** Rows read from the source. */
  rows: number;
  /** UPSERT: rows of the table replaced by new versions. */
  replaced?: number;
}

/** `"schema"."table"` (or `"table"`). */
export function pgQualified(t: PgTable): string {
  return t.schema === null ? quotePgIdent(t.table) : `${quotePgIdent(t.schema)}.${quotePgIdent(t.table)}`;
}

/**
 * Load rows into a warehouse table atomically, on `client` (a client of `ctx.warehouse()`), in ONE
 * transaction: either every change is committed or the table is exactly as it was.
 *
 * - REPLACE: empty the table, then the COPY. Airflow's S3ToRedshiftOperator empties with DELETE,
 *   because Redshift's TRUNCATE commits on its own. Postgres's TRUNCATE is transactional (a
 *   rollback brings the old rows back), and after it the COPY writes no WAL and checks no unique
 *   key against the deleted rows, which makes re-loading a full table of a million rows about 4x
 *   faster. So REPLACE truncates, inside the load's transaction, when nobody else holds the table
 *   (`LOCK ... NOWAIT`: a session reading it keeps its old rows, as on Redshift) and it has no
 *   DELETE trigger; otherwise, or when Postgres refuses (a foreign key points at the table), it
 *   DELETEs. The rows at commit are the same either way; the log says which was used. On a real
 *   Redshift (its version() says so) it always DELETEs.
 * - APPEND: the COPY.
 * - UPSERT, Redshift's staging pattern: a temporary table `LIKE table INCLUDING DEFAULTS`,
 *   the COPY into it, checks (no NULL key; each key once, or ROW_NUMBER over the keys ordered by
 *   `upsertOrderBy` keeps the newest), then `DELETE FROM table USING stage WHERE keys match` and
 *   `INSERT INTO table SELECT ... FROM stage`.
 *
 * Fault points: `delete` (after emptying the table or deleting replaced rows), `staged` (after the COPY), `insert`,
 * `commit` (just before COMMIT); the copy function adds its own.
 */
export async function loadPostgresTable(client: ClientBase, load: PostgresLoad): Promise<LoadResult> {
  const table = pgQualified(load.table);
  await client.query('BEGIN');
  try {
    const result = await loadInTransaction(client, load, table);
    load.faultPoint('commit', { rows: result.rows });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

async function loadInTransaction(client: ClientBase, load: PostgresLoad, table: string): Promise<LoadResult> {
  if (load.method === 'REPLACE') {
    const emptied = await emptyTable(client, table);
    load.faultPoint('delete');
    const rows = await load.copy(client, table);
    load.log?.(`REPLACE ${table}: emptied (${emptied}), ${rows} row(s) loaded, in one transaction`);
    return { table, method: 'REPLACE', rows };
  }
  if (load.method === 'APPEND') {
    const rows = await load.copy(client, table);
    load.log?.(`APPEND ${table}: ${rows} row(s) loaded`);
    return { table, method: 'APPEND', rows };
  }
  if (load.method !== 'UPSERT') throw new Error(`method must be REPLACE, APPEND or UPSERT, found ${JSON.stringify(load.method)}`);
  const keys = load.upsertKeys?.length ? [...load.upsertKeys] : await primaryKey(client, table);
  const columns = await tableColumns(client, table);
  const missing = [...keys, ...(load.upsertOrderBy ? [load.upsertOrderBy] : [])].filter((k) => !columns.includes(k));
  if (missing.length > 0) throw new Error(`UPSERT into ${table}: column(s) ${missing.map((k) => `"${k}"`).join(', ')} are not in the table (it has ${columns.join(', ')}); fix upsertKeys / upsertOrderBy`);
  // Plain Postgres (a temporary table, as Redshift's #stage), so the load works on any Postgres client.
  const stage = quotePgIdent(`dgbx_stage_${load.table.table}`.slice(0, 63));
  await client.query(`CREATE TEMP TABLE ${stage} (LIKE ${table} INCLUDING DEFAULTS)`);
  const rows = await load.copy(client, stage);
  load.faultPoint('staged', { rows });
  await checkKeys(client, stage, table, keys, load.upsertOrderBy);
  const q = (c: string) => quotePgIdent(c);
  const match = keys.map((k) => `${table}.${q(k)} = ${stage}.${q(k)}`).join(' AND ');
  const replaced = await client.query(`DELETE FROM ${table} USING ${stage} WHERE ${match}`);
  load.faultPoint('delete', { rows: replaced.rowCount ?? 0 });
  const list = columns.map(q).join(', ');
  const newest = load.upsertOrderBy
    ? `SELECT ${list} FROM (SELECT ${list}, ROW_NUMBER() OVER (PARTITION BY ${keys.map(q).join(', ')} ORDER BY ${q(load.upsertOrderBy)} DESC) AS dgbx_seq FROM ${stage}) AS ranked WHERE dgbx_seq = 1`
    : `SELECT ${list} FROM ${stage}`;
  const inserted = await client.query(`INSERT INTO ${table} (${list}) ${newest}`);
  load.faultPoint('insert', { rows: inserted.rowCount ?? 0 });
  await client.query(`DROP TABLE ${stage}`);
  load.log?.(`UPSERT ${table} on (${keys.join(', ')}): ${rows} row(s) loaded, ${replaced.rowCount ?? 0} replaced, ${inserted.rowCount ?? 0} written`);
  return { table, method: 'UPSERT', rows, replaced: replaced.rowCount ?? 0 };
}

/**
 * Empty `table` inside the open transaction, with TRUNCATE where that is the same as DELETE to
 * everyone else (see {@link loadPostgresTable}); returns how, for the log.
 */
async function emptyTable(client: ClientBase, table: string): Promise<string> {
  // Sent untranslated: on the stand-in a TRUNCATE in the load's transaction is rolled back with
  // it, which is what DELETE does on Redshift (where TRUNCATE would commit at once).
  const raw = rawClient(client);
  const probe = await raw.query<{ redshift: boolean; delete_trigger: boolean }>(
    `SELECT version() LIKE '%Redshift%' AS redshift,
            EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal AND (tgtype & 8) <> 0) AS delete_trigger`,
    [table],
  );
  let why = probe.rows[0]!.redshift ? "the warehouse is a real Redshift, whose TRUNCATE commits at once" : 'the table has a DELETE trigger';
  if (!probe.rows[0]!.redshift && !probe.rows[0]!.delete_trigger) {
    await raw.query('SAVEPOINT dgbx_truncate');
    try {
      await raw.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE NOWAIT`);
      await raw.query(`TRUNCATE ${table}`);
      await raw.query('RELEASE SAVEPOINT dgbx_truncate');
      return 'TRUNCATE';
    } catch (error) {
      await raw.query('ROLLBACK TO SAVEPOINT dgbx_truncate');
      const e = error as { code?: string; message: string };
      why = e.code === '55P03' ? 'another session is using the table' : e.message;
    }
  }
  await client.query(`DELETE FROM ${table}`);
  return `DELETE: ${why}`;
}

/** NULL keys never match, so they would pile up on re-runs; repeated keys need a rule to pick one. */
async function checkKeys(client: ClientBase, stage: string, table: string, keys: string[], orderBy: string | undefined): Promise<void> {
  const q = (c: string) => quotePgIdent(c);
  const nulls = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${stage} WHERE ${keys.map((k) => `${q(k)} IS NULL`).join(' OR ')}`);
  if (Number(nulls.rows[0]!.n) > 0) {
    throw new Error(`UPSERT into ${table}: ${nulls.rows[0]!.n} new row(s) have a NULL key (${keys.join(', ')}); a NULL key matches nothing, so re-runs would duplicate them. Fix the source or choose other upsertKeys.`);
  }
  const group = [...keys, ...(orderBy ? [orderBy] : [])];
  const repeated = await client.query<Record<string, string>>({
    text: `SELECT ${group.map(q).join(', ')}, COUNT(*) AS dgbx_n FROM ${stage} GROUP BY ${group.map(q).join(', ')} HAVING COUNT(*) > 1 ORDER BY ${group.map(q).join(', ')} LIMIT 5`,
    types: { getTypeParser: () => (v: string) => v } as never,
  });
  if (repeated.rows.length === 0) return;
  const shown = repeated.rows.map((r) => `(${group.map((k) => `${k}=${r[k] ?? 'NULL'}`).join(', ')}) x${r.dgbx_n}`).join('; ');
  if (orderBy) {
    throw new Error(`UPSERT into ${table}: new rows repeat a key with the same ${orderBy}, so the newest cannot be told: ${shown}. Make ${orderBy} distinct per key, or dedupe the source.`);
  }
  throw new Error(
    `UPSERT into ${table}: the new rows hold the same key more than once: ${shown}${repeated.rows.length === 5 ? ' (first 5)' : ''}. ` +
      'Give upsertOrderBy (e.g. a modified-at column) to keep the newest row per key, or dedupe the source.',
  );
}

/** The table's primary key columns, in key order; an error when it has none. */
async function primaryKey(client: ClientBase, table: string): Promise<string[]> {
  // A catalog query of dagbox's own, in Postgres (int2[] is no Redshift type).
  const result = await rawClient(client).query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  if (result.rows.length === 0) {
    throw new Error(`UPSERT into ${table} needs keys: give upsertKeys (e.g. ['id']), or declare a primary key on the table (Redshift keeps it as information, dagbox uses it as the default key)`);
  }
  return result.rows.map((r) => r.name);
}

async function tableColumns(client: ClientBase, table: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    'SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [table],
  );
  return result.rows.map((r) => r.name);
}
