import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { ColumnInfo } from '../types.ts';

/** A MySQL base table of the session's databases. */
export interface MysqlTable {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
}

interface ColumnRow extends RowDataPacket {
  s: string;
  t: string;
  name: string;
  type: string;
  dt: string;
  extra: string;
}

interface KeyRow extends RowDataPacket {
  s: string;
  t: string;
  name: string;
}

/** Base tables of `schemas` with their columns and primary keys, from information_schema. */
export async function listMysqlTables(pool: Pool, schemas: readonly string[]): Promise<MysqlTable[]> {
  if (schemas.length === 0) return [];
  // Three small queries joined here: MariaDB runs a join of information_schema tables ten times slower.
  const [[columns], [keys], [bases]] = await Promise.all([
    pool.query<ColumnRow[]>(
      `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name, COLUMN_TYPE AS type, DATA_TYPE AS dt, EXTRA AS extra
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
      [schemas],
    ),
    pool.query<KeyRow[]>(
      `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name FROM information_schema.STATISTICS
        WHERE INDEX_NAME = 'PRIMARY' AND TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, SEQ_IN_INDEX`,
      [schemas],
    ),
    pool.query<KeyRow[]>(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (?)`, [schemas]),
  ]);
  const base = new Set(bases.map((b) => `${b.s}\u0000${b.t}`));
  const tables = new Map<string, { schema: string; table: string; columns: ColumnInfo[]; primaryKey: string[] }>();
  for (const c of columns) {
    const id = `${c.s}\u0000${c.t}`;
    if (!base.has(id)) continue;
    if (!tables.has(id)) tables.set(id, { schema: c.s, table: c.t, columns: [], primaryKey: [] });
    tables.get(id)!.columns.push({
      name: c.name,
      type: String(c.type),
      family: family(String(c.dt).toLowerCase()),
      generated: /auto_increment/i.test(String(c.extra)),
    });
  }
  for (const k of keys) tables.get(`${k.s}\u0000${k.t}`)?.primaryKey.push(k.name);
  return [...tables.values()];
}

function family(dataType: string): ColumnInfo['family'] {
  if (/int|decimal|numeric|float|double|real|bit|year/.test(dataType)) return 'number';
  if (dataType === 'date' || dataType === 'datetime' || dataType === 'timestamp') return 'timestamp';
  if (dataType === 'json') return 'json';
  if (/blob|binary/.test(dataType)) return 'binary';
  if (/char|text|enum|set/.test(dataType)) return 'text';
  return 'other';
}
