import type { ColumnInfo, DiffRow } from './types.ts';

/** A column of a relation being diffed, with its comparison properties. */
export interface DiffColumn extends ColumnInfo {
  /** Has an equality operator (Postgres json, xml and geometric types do not): else compared as text. */
  readonly comparable?: boolean;
}

/** One side of a diff: a live table or a copy kept by verification. */
export interface DiffSide {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly DiffColumn[];
}

/** What a backend diffs: two relations of the same server, joined on `key`. */
export interface RelationDiffQuery {
  readonly before: DiffSide;
  readonly after: DiffSide;
  /** Columns present on both sides that identify a row. */
  readonly key: readonly string[];
  /**
   * True when `key` is unique on both sides (a primary key). Otherwise rows are numbered within
   * equal keys, so duplicates pair off one to one and extra copies show as only-before/after.
   */
  readonly unique: boolean;
  /** Columns present on both sides compared for changes (not key, not ignored). */
  readonly compare: readonly string[];
  readonly sampleRows: number;
}

/** What a backend's diff query returns. */
export interface RelationDiffResult {
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  readonly common: number;
  readonly onlyBefore: number;
  readonly onlyAfter: number;
  readonly changed: number;
  /** Only-after rows that are extra copies of a key the later side already has (key not unique). */
  readonly duplicatesAfter: number;
  /** Equal values per compared column among common rows. */
  readonly matched: ReadonlyMap<string, number>;
  readonly samples: readonly DiffRow[];
}

/** Build a sample row from positional text values: key + compared columns, before and after. */
export function sampleRow(
  kind: DiffRow['kind'],
  columns: readonly string[],
  before: readonly (string | null)[] | null,
  after: readonly (string | null)[] | null,
  changedColumns: readonly string[],
): DiffRow {
  const toRecord = (values: readonly (string | null)[] | null) => (values === null ? null : Object.fromEntries(columns.map((c, i) => [c, values[i] ?? null])));
  return { kind, before: toRecord(before), after: toRecord(after), changedColumns };
}

/** Order sample rows by their key values, numbers numerically. */
export function compareByKey(key: readonly string[]) {
  return (x: DiffRow, y: DiffRow): number => {
    const xr = x.before ?? x.after!;
    const yr = y.before ?? y.after!;
    for (const k of key) {
      const c = compareValues(xr[k] ?? null, yr[k] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
}

function compareValues(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : 1;
}
