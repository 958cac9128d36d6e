import type { TableBackend, TableId, VerifySettings } from './types.ts';

/** Default number of differing rows a diff shows. */
export const DEFAULT_SAMPLE_ROWS = 5;

/**
 * Verification settings resolved for lookups by table: the project's (`dagbox.config.ts`) and
 * the DAG's merged, the DAG's winning per table.
 */
export class TableSettings {
  readonly sampleRows: number;
  private readonly ignore: [string, string[]][];
  private readonly keys: [string, string[]][];
  private readonly eventTime: [string, string][];
  private readonly exclude: RegExp[];

  constructor(...layers: (VerifySettings | undefined)[]) {
    const merged = mergeSettings(layers);
    this.sampleRows = merged.sampleRows ?? DEFAULT_SAMPLE_ROWS;
    this.ignore = Object.entries(merged.ignore ?? {});
    this.keys = Object.entries(merged.keys ?? {});
    this.eventTime = Object.entries(merged.eventTime ?? {});
    this.exclude = (merged.exclude ?? []).map(globToRegExp);
  }

  /** Columns of this table left out of hashes and diffs. */
  ignoredColumns(t: TableId): string[] {
    return [...new Set(this.ignore.filter(([name]) => matchesTable(name, t)).flatMap(([, cols]) => cols))];
  }

  /** Declared key columns of this table, or null. */
  keyColumns(t: TableId): string[] | null {
    return this.keys.find(([name]) => matchesTable(name, t))?.[1] ?? null;
  }

  /** The event-time column of this table for check 5, or null. */
  eventTimeColumn(t: TableId): string | null {
    return this.eventTime.find(([name]) => matchesTable(name, t))?.[1] ?? null;
  }

  /** Every table named in `eventTime`, as written. */
  eventTimeTables(): string[] {
    return this.eventTime.map(([name]) => name);
  }

  /** True when the table is excluded from verification. */
  excludesTable(t: TableId): boolean {
    const names = [`${t.schema}.${t.table}`, `${t.backend}:${t.schema}.${t.table}`, t.table];
    return this.exclude.some((re) => names.some((n) => re.test(n)));
  }

  /** True when the object is excluded from verification. */
  excludesObject(bucket: string, key: string): boolean {
    const name = `s3://${bucket}/${key}`;
    return this.exclude.some((re) => re.test(name));
  }
}

function mergeSettings(layers: (VerifySettings | undefined)[]): VerifySettings {
  const out: VerifySettings = {};
  for (const layer of layers) {
    if (!layer) continue;
    // Later layers (the DAG's) come first in lookups, so their entries win.
    out.ignore = { ...layer.ignore, ...withoutKeys(out.ignore, layer.ignore) };
    out.keys = { ...layer.keys, ...withoutKeys(out.keys, layer.keys) };
    out.eventTime = { ...layer.eventTime, ...withoutKeys(out.eventTime, layer.eventTime) };
    out.exclude = [...(out.exclude ?? []), ...(layer.exclude ?? [])];
    if (layer.sampleRows !== undefined) out.sampleRows = layer.sampleRows;
  }
  return out;
}

function withoutKeys<T>(base: Record<string, T> | undefined, drop: Record<string, T> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(base ?? {})) if (!drop || !(k in drop)) out[k] = v;
  return out;
}

/**
 * Whether a settings key names this table: `schema.table`, `backend:schema.table`, or a bare
 * `table` (any schema).
 */
export function matchesTable(name: string, t: TableId): boolean {
  const colon = name.indexOf(':');
  let backend: TableBackend | null = null;
  let rest = name;
  if (colon > 0) {
    const prefix = name.slice(0, colon);
    if (prefix === 'postgres' || prefix === 'mysql' || prefix === 'redshift' || prefix === 'warehouse') {
      backend = prefix === 'mysql' ? 'mysql' : 'postgres';
      rest = name.slice(colon + 1);
    }
  }
  if (backend !== null && backend !== t.backend) return false;
  const dot = rest.indexOf('.');
  if (dot < 0) return rest === t.table;
  return rest.slice(0, dot) === t.schema && rest.slice(dot + 1) === t.table;
}

/** The name reports use: `raw_data.nps` for the warehouse, `mysql:prod.nps` for the source. */
export function displayName(t: TableId): string {
  return t.backend === 'postgres' ? `${t.schema}.${t.table}` : `mysql:${t.schema}.${t.table}`;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${escaped}$`);
}
