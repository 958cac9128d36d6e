import type { ExecuteValues, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Readable } from 'node:stream';
import { quoteMysqlIdent } from '../sql/identifiers.ts';
import type { Cell } from './csv-encoder.ts';
import type { SourceColumn } from './row-source.ts';
import type { LoadMethod, LoadResult } from './warehouse-load.ts';

/** Options of {@link loadMysqlTable}. */
export interface MysqlLoad {
  schema: string | null;
  table: string;
  method: LoadMethod;
  upsertKeys?: readonly string[];
  columns: readonly SourceColumn[];
  rows: Readable;
  faultPoint: (site: string, detail?: { rows?: number }) => void;
  log?: (line: string) => void;
}

const MAX_PLACEHOLDERS = 65_535;
const BATCH_ROWS = 1000;

/**
 * Load a row stream into a MySQL table in ONE transaction (InnoDB): REPLACE deletes every row
 * first; APPEND inserts; UPSERT inserts into a temporary table, checks the keys (no NULL, no
 * repeat), then `DELETE t FROM t JOIN stage` and `INSERT INTO t SELECT ... FROM stage`. Rows go in
 * as batched multi-row INSERTs with server-side bound values. Values from Postgres are adapted to
 * what MySQL reads: booleans `t`/`f` as 1/0, `timestamptz` as UTC without offset (the session runs
 * in UTC while loading), `bytea` as bytes. A failure rolls everything back.
 */
export async function loadMysqlTable(conn: PoolConnection, load: MysqlLoad): Promise<LoadResult> {
  const table = load.schema === null ? quoteMysqlIdent(load.table) : `${quoteMysqlIdent(load.schema)}.${quoteMysqlIdent(load.table)}`;
  await conn.query("SET @dgbx_tz = @@session.time_zone, time_zone = '+00:00'");
  await conn.query('START TRANSACTION');
  try {
    const result = await loadInTransaction(conn, load, table);
    load.faultPoint('commit', { rows: result.rows });
    await conn.query('COMMIT');
    return result;
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await conn.query('SET time_zone = @dgbx_tz').catch(() => {});
  }
}

async function loadInTransaction(conn: PoolConnection, load: MysqlLoad, table: string): Promise<LoadResult> {
  const names = load.columns.map((c) => quoteMysqlIdent(c.name));
  if (load.method === 'REPLACE' || load.method === 'APPEND') {
    if (load.method === 'REPLACE') {
      const [deleted] = await conn.query(`DELETE FROM ${table}`);
      load.faultPoint('delete', { rows: (deleted as { affectedRows: number }).affectedRows });
    }
    const rows = await insertRows(conn, table, names, load);
    load.log?.(`${load.method} ${table}: ${rows} row(s) loaded`);
    return { table, method: load.method, rows };
  }
  if (load.method !== 'UPSERT') throw new Error(`method must be REPLACE, APPEND or UPSERT, found ${JSON.stringify(load.method)}`);
  const keys = load.upsertKeys?.length ? [...load.upsertKeys] : await primaryKey(conn, load, table);
  const stage = quoteMysqlIdent(`dgbx_stage_${load.table}`.slice(0, 64));
  // No indexes on the stage (a copy of the columns only), so repeated keys reach the check below.
  await conn.query(`CREATE TEMPORARY TABLE ${stage} SELECT * FROM ${table} LIMIT 0`);
  try {
    const rows = await insertRows(conn, stage, names, load);
    load.faultPoint('staged', { rows });
    await checkKeys(conn, stage, table, keys);
    const match = keys.map((k) => `t.${quoteMysqlIdent(k)} = s.${quoteMysqlIdent(k)}`).join(' AND ');
    const [deleted] = await conn.query(`DELETE t FROM ${table} AS t JOIN ${stage} AS s ON ${match}`);
    const replaced = (deleted as { affectedRows: number }).affectedRows;
    load.faultPoint('delete', { rows: replaced });
    await conn.query(`INSERT INTO ${table} (${names.join(', ')}) SELECT ${names.join(', ')} FROM ${stage}`);
    load.faultPoint('insert', { rows });
    load.log?.(`UPSERT ${table} on (${keys.join(', ')}): ${rows} row(s) loaded, ${replaced} replaced`);
    return { table, method: 'UPSERT', rows, replaced };
  } finally {
    await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${stage}`).catch(() => {});
  }
}

async function insertRows(conn: PoolConnection, table: string, names: string[], load: MysqlLoad): Promise<number> {
  const size = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PLACEHOLDERS / Math.max(1, names.length))));
  const tuple = `(${names.map(() => '?').join(', ')})`;
  const insert = (n: number) => `INSERT INTO ${table} (${names.join(', ')}) VALUES ${Array(n).fill(tuple).join(', ')}`;
  const convert = load.columns.map((c) => converter(c));
  let batch: unknown[] = [];
  let count = 0;
  let total = 0;
  const flush = async () => {
    if (count === 0) return;
    await conn.execute(insert(count), batch as ExecuteValues[]);
    total += count;
    batch = [];
    count = 0;
    load.faultPoint('insert', { rows: total });
  };
  for await (const row of load.rows as AsyncIterable<Cell[]>) {
    for (let i = 0; i < convert.length; i++) batch.push(convert[i]!(row[i] ?? null));
    if (++count >= size) await flush();
  }
  await flush();
  return total;
}

function converter(column: SourceColumn): (cell: Cell) => unknown {
  const text = (cell: Cell) => (cell === null ? null : typeof cell === 'string' ? cell : cell.toString('utf8'));
  switch (column.kind) {
    case 'binary':
      return (cell) => cell;
    case 'pg-bool':
      return (cell) => (cell === null ? null : text(cell) === 't' ? 1 : 0);
    case 'pg-timestamptz':
      return (cell) => (cell === null ? null : text(cell)!.replace(/[+-]00(?::?00)?$/, ''));
    case 'pg-bytea':
      return (cell) => (cell === null ? null : Buffer.from(text(cell)!.replace(/^\\x/, ''), 'hex'));
    default:
      return text;
  }
}

async function checkKeys(conn: PoolConnection, stage: string, table: string, keys: string[]): Promise<void> {
  const q = keys.map(quoteMysqlIdent);
  const [nulls] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${stage} WHERE ${q.map((k) => `${k} IS NULL`).join(' OR ')}`);
  if (Number(nulls[0]!.n) > 0) {
    throw new Error(`UPSERT into ${table}: ${nulls[0]!.n} new row(s) have a NULL key (${keys.join(', ')}); a NULL key matches nothing, so re-runs would duplicate them. Fix the source or choose other upsertKeys.`);
  }
  const [repeated] = await conn.query<RowDataPacket[]>({
    sql: `SELECT ${q.join(', ')}, COUNT(*) AS dgbx_n FROM ${stage} GROUP BY ${q.join(', ')} HAVING COUNT(*) > 1 ORDER BY ${q.join(', ')} LIMIT 5`,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  if (repeated.length === 0) return;
  const shown = repeated.map((r) => `(${keys.map((k) => `${k}=${String(r[k])}`).join(', ')}) x${r.dgbx_n}`).join('; ');
  throw new Error(`UPSERT into ${table}: the new rows hold the same key more than once: ${shown}. Dedupe the source query (e.g. ROW_NUMBER() ... = 1).`);
}

async function primaryKey(conn: PoolConnection, load: MysqlLoad, table: string): Promise<string[]> {
  const [rows] = await conn.execute<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`,
    [load.schema, load.table],
  );
  if (rows.length === 0) throw new Error(`UPSERT into ${table} needs keys: give upsertKeys (e.g. ['id']), or declare a primary key on the table`);
  return rows.map((r) => r.name as string);
}
