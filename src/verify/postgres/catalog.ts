import type { Pool } from 'pg';
import type { ColumnInfo } from '../types.ts';

/** A Postgres column with what fingerprints and diffs need to know about its type. */
export interface PgColumn extends ColumnInfo {
  /** The type has an extended hash function (hash_record_extended can hash it directly). */
  readonly hashable: boolean;
  /** The type has an equality operator usable in comparisons; otherwise compared as text. */
  readonly comparable: boolean;
}

/** A Postgres base table (or partitioned table, or materialized view) of the user schemas. */
export interface PgTable {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly PgColumn[];
  readonly primaryKey: readonly string[];
}

interface CatalogRow {
  schema: string;
  table: string;
  columns: { name: string; type: string; typname: string; category: string; elem: string | null; generated: boolean }[];
  pk: string[] | null;
}

/** Types hash_record_extended hashes natively (they have a default hash opclass with an extended function). */
const HASHABLE = new Set([
  'int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'text', 'varchar', 'bpchar', 'name', 'char', 'bool', 'date', 'time',
  'timetz', 'timestamp', 'timestamptz', 'interval', 'uuid', 'bytea', 'jsonb', 'oid', 'inet', 'cidr', 'macaddr', 'macaddr8', 'pg_lsn',
]);
/** Types without an equality operator: compared through their text form. */
const NOT_COMPARABLE = new Set(['json', 'xml', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle']);

/**
 * Every user table of the database (schemas other than the system's and dagbox's own `dgbx_*`),
 * with columns, primary key and type properties, in one catalog query. Partitions are covered
 * through their parent.
 */
export async function listPgTables(pool: Pool, only?: { schema: string; table: string }[]): Promise<PgTable[]> {
  const { rows } = await pool.query<CatalogRow>(CATALOG_SQL);
  const tables = rows.map(toTable);
  if (!only) return tables;
  return tables.filter((t) => only.some((o) => o.schema === t.schema && o.table === t.table));
}

/** The columns of any relation (a table kept by verification, say), in column order. */
export async function pgRelationColumns(pool: Pool, schema: string, table: string): Promise<PgColumn[]> {
  const { rows } = await pool.query<CatalogRow>(`${CATALOG_SELECT} WHERE n.nspname = $1 AND c.relname = $2 GROUP BY n.nspname, c.relname, c.oid`, [schema, table]);
  return rows[0] ? toTable(rows[0]).columns.slice() : [];
}

const CATALOG_SELECT = `
SELECT n.nspname AS schema, c.relname AS table,
  json_agg(json_build_object(
    'name', a.attname,
    'type', format_type(a.atttypid, a.atttypmod),
    'typname', t.typname,
    'category', t.typcategory,
    'elem', et.typname,
    'generated', a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false)
  ) ORDER BY a.attnum) AS columns,
  (SELECT json_agg(k.attname ORDER BY array_position(i.indkey::int2[], k.attnum))
     FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
    WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum`;

const CATALOG_SQL = `${CATALOG_SELECT}
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE 'dgbx\\_%'
GROUP BY n.nspname, c.relname, c.oid
ORDER BY 1, 2`;

function toTable(row: CatalogRow): PgTable {
  return {
    schema: row.schema,
    table: row.table,
    primaryKey: row.pk ?? [],
    columns: row.columns.map((c) => ({
      name: c.name,
      type: c.type,
      family: family(c.typname, c.category),
      generated: c.generated,
      hashable: HASHABLE.has(c.typname) || c.category === 'E' || (c.category === 'A' && c.elem !== null && HASHABLE.has(c.elem)),
      comparable: !NOT_COMPARABLE.has(c.typname) && !(c.category === 'A' && c.elem !== null && NOT_COMPARABLE.has(c.elem)),
    })),
  };
}

function family(typname: string, category: string): ColumnInfo['family'] {
  if (typname === 'json' || typname === 'jsonb') return 'json';
  if (typname === 'bytea') return 'binary';
  if (typname === 'date' || typname === 'timestamp' || typname === 'timestamptz') return 'timestamp';
  switch (category) {
    case 'N':
      return 'number';
    case 'S':
      return 'text';
    case 'B':
      return 'boolean';
    default:
      return 'other';
  }
}
