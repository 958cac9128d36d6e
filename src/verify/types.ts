import type { DataInterval } from '../dag/types.ts';

/** The database backends verification reads: the source (MySQL) and the warehouse (Postgres). */
export type TableBackend = 'postgres' | 'mysql';

/** One column as the catalog describes it. */
export interface ColumnInfo {
  readonly name: string;
  /** The type as the database spells it: `integer`, `timestamp with time zone`, `varchar(64)`. */
  readonly type: string;
  /** A coarse family, for hints and comparisons: `timestamp` covers date/time types. */
  readonly family: 'number' | 'text' | 'timestamp' | 'boolean' | 'json' | 'binary' | 'other';
  /** Filled by the database (serial, identity, AUTO_INCREMENT): a surrogate key. */
  readonly generated: boolean;
}

/** A table of the session's databases. */
export interface TableId {
  readonly backend: TableBackend;
  readonly schema: string;
  readonly table: string;
}

/**
 * What a snapshot records of one table, computed inside the database: columns, primary key, row
 * count and an order-independent content hash over the columns not ignored.
 */
export interface TableFingerprint extends TableId {
  /** `raw_data.nps` (warehouse) or `mysql:prod.nps` (source). */
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
  /** Primary key columns in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  /** Columns left out of the hash (the table's ignore list). */
  readonly ignored: readonly string[];
  readonly rows: number;
  /** Hex-free text of the hash sums; equal strings mean equal content (up to a 2^-64 chance). */
  readonly hash: string;
}

/** An S3 object as a listing shows it: its key, size and the store's content hash (ETag). */
export interface ObjectFingerprint {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

/** Fingerprints of every user table and every object of the session, at one moment. */
export interface StateFingerprint {
  /** By table name (`raw_data.nps`, `mysql:prod.nps`). */
  readonly tables: ReadonlyMap<string, TableFingerprint>;
  /** By `s3://bucket/key`. */
  readonly objects: ReadonlyMap<string, ObjectFingerprint>;
  /** Real time the snapshot took, in ms. */
  readonly ms: number;
}

/** A table whose fingerprint differs between two states. */
export interface TableChange {
  readonly name: string;
  readonly before: TableFingerprint | null;
  readonly after: TableFingerprint | null;
  /** created, dropped, schema (columns differ), rows (content differs). */
  readonly kind: 'created' | 'dropped' | 'schema' | 'rows';
}

/** An object that differs between two states. */
export interface ObjectChange {
  /** `s3://bucket/key` */
  readonly name: string;
  readonly before: ObjectFingerprint | null;
  readonly after: ObjectFingerprint | null;
}

/** What differs between two state fingerprints; empty lists mean the states are equal. */
export interface StateChanges {
  readonly tables: readonly TableChange[];
  readonly objects: readonly ObjectChange[];
}

/** How two versions of a table's rows were matched. */
export type KeyKind = 'primary key' | 'declared keys' | 'all columns' | 'all other columns';

/** One differing row, both sides: values as text (null = SQL NULL). */
export interface DiffRow {
  readonly kind: 'only-before' | 'only-after' | 'changed';
  readonly before: Readonly<Record<string, string | null>> | null;
  readonly after: Readonly<Record<string, string | null>> | null;
  /** For changed rows, the columns whose values differ. */
  readonly changedColumns: readonly string[];
}

/** A column's share of equal values among the rows present on both sides. */
export interface ColumnMatch {
  readonly column: string;
  readonly matched: number;
  /** 0..100; 100 when there are no common rows. */
  readonly percent: number;
}

/**
 * The row-level difference of one table between two states (SQLMesh table_diff style): schema
 * changes, counts of common, only-before, only-after and changed rows joined on a key, per-column
 * match, the first differing rows side by side, and hints.
 */
export interface TableDiff {
  readonly table: string;
  readonly backend: TableBackend;
  /** Whether the table exists on both sides, or was created or dropped in between. */
  readonly presence: 'both' | 'only-before' | 'only-after';
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  /** Null when the rows of the earlier state were not kept: only counts are known. */
  readonly keyKind: KeyKind | null;
  readonly key: readonly string[];
  readonly schema: {
    readonly added: readonly ColumnInfo[];
    readonly removed: readonly ColumnInfo[];
    readonly retyped: readonly { readonly column: string; readonly before: string; readonly after: string }[];
  };
  readonly common: number;
  readonly onlyBefore: number;
  readonly onlyAfter: number;
  readonly changed: number;
  readonly columns: readonly ColumnMatch[];
  /** Columns compared (common, not ignored, not part of the key). */
  readonly compared: readonly string[];
  /** Key columns first, then compared columns: the order samples are shown in. */
  readonly display: readonly string[];
  readonly samples: readonly DiffRow[];
  readonly ignored: readonly string[];
  /** Advice: a wall-clock timestamp, a generated key, rows not kept. */
  readonly hints: readonly string[];
}

/** Objects that differ in one bucket. */
export interface ObjectsDiff {
  readonly bucket: string;
  readonly onlyBefore: readonly ObjectFingerprint[];
  readonly onlyAfter: readonly ObjectFingerprint[];
  readonly changed: readonly { readonly key: string; readonly before: ObjectFingerprint; readonly after: ObjectFingerprint }[];
  /** For changed text objects kept by verification: lines only before / only after (first few). */
  readonly lines: readonly { readonly key: string; readonly onlyBefore: readonly string[]; readonly onlyAfter: readonly string[] }[];
}

/** Everything that differs between two states, table by table and bucket by bucket. */
export interface StateDiff {
  readonly tables: readonly TableDiff[];
  readonly objects: readonly ObjectsDiff[];
  /** What was compared with what: `after the 1st run` / `after the 2nd run`. */
  readonly beforeLabel: string;
  readonly afterLabel: string;
}

/** The verification checks, in the order they are reported. */
export type CheckId = 'runs' | 'idempotency' | 'backfill-order' | 'concurrency' | 'replay' | 'atomicity' | 'write-interval' | 'data-checks';

/**
 * What a check found, with its evidence in the summary:
 *
 * - `pass`: it ran on everything it covers and found nothing;
 * - `fail`: it found a fault;
 * - `not-run`: it should have run but could not (a run failed first, a check task's upstream
 *   failed, the window held no interval): no evidence, so the verification is not green;
 * - `not-applicable`: there is nothing for it to check (no table declares an event time, the DAG
 *   allows one run at a time, no task writes): neither a pass nor a gap.
 */
export type CheckStatus = 'pass' | 'fail' | 'not-run' | 'not-applicable';

/** A verification's verdict: every check passed (or did not apply), one failed, or some did not run. */
export type Verdict = 'pass' | 'fail' | 'incomplete';

/** One finding of a check: where, what, and the diff that shows it. */
export interface CheckFailure {
  readonly message: string;
  readonly interval?: DataInterval;
  readonly taskId?: string;
  readonly diff?: StateDiff;
  /** Rows that break a rule (check 5 and key uniqueness), as text values. */
  readonly rows?: readonly Readonly<Record<string, string | null>>[];
  /** Causes the evidence points at, each naming the evidence (the diff's tables carry their own). */
  readonly hints?: readonly string[];
}

/** The outcome of one check for one DAG. */
export interface CheckResult {
  readonly check: CheckId;
  readonly title: string;
  readonly status: CheckStatus;
  /** One line: what was done and what was found (or why it did not run, or does not apply). */
  readonly summary: string;
  /** Things checked (intervals, tasks, fault points, runs) and how many of them failed. */
  readonly checked: number;
  readonly failed: number;
  /** Real time spent on this check, in ms. */
  readonly ms: number;
  readonly failures: readonly CheckFailure[];
  /** The seed of a shuffled order (check 2), to replay it with --seed. */
  readonly seed?: number;
}

/** Every check of one DAG over one window. */
export interface DagVerification {
  readonly dagId: string;
  readonly intervals: readonly DataInterval[];
  readonly checks: readonly CheckResult[];
  /** `fail` when a check failed, else `incomplete` when a check did not run, else `pass`. */
  readonly verdict: Verdict;
  /** The verdict is `pass`: green. */
  readonly ok: boolean;
  readonly ms: number;
  /** DAG runs made by verification. */
  readonly runs: number;
}

/**
 * Verification settings for tables, in `dagbox.config.ts` (`verify: {...}`) or on a DAG
 * (`new Dag({ ..., verify: {...} })`). Table names: `raw_data.nps`, `mysql:prod.nps`, or a bare
 * table name for any schema.
 *
 * ```ts
 * verify: {
 *   ignore: { 'raw_data.nps': ['loaded_at'] },     // volatile columns: not hashed, not diffed
 *   keys: { 'raw_data.nps': ['id'] },              // row identity where no primary key is declared
 *   eventTime: { 'raw_data.nps': 'created_at' },   // check 5: rows written by I have times in I
 * }
 * ```
 */
export interface VerifySettings {
  /** Columns left out of fingerprints and diffs, per table. */
  ignore?: Record<string, string[]>;
  /**
   * Columns that identify a row, per table, for tables without a primary key (Redshift does not
   * enforce one). Diffs join on them, and every run must leave them unique (check 6).
   */
  keys?: Record<string, string[]>;
  /** Event-time column per output table: rows a run writes must have times inside its interval (check 5). */
  eventTime?: Record<string, string>;
  /** Tables (`raw_data.tmp_*` globs) and objects (`s3://bucket/prefix*`) left out of verification. */
  exclude?: string[];
  /** How many differing rows a diff shows (default 5). */
  sampleRows?: number;
}
