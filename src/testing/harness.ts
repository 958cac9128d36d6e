import { resolve } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { failureDetails } from '../app/format.ts';
import { openProject, type Project } from '../app/project.ts';
import type { Dag } from '../dag/dag.ts';
import { formatLoadError } from '../dag/loader.ts';
import type { DataInterval } from '../dag/types.ts';
import { runIntervals, scheduleSpecOf, type DagRunResult } from '../run/index.ts';
import { backfillIntervals, parseDate } from '../schedule/index.ts';
import { mysqlTableName, pgTableName } from '../sql/identifiers.ts';
import type { Snapshot } from '../snapshot/index.ts';
import type { ServicesFlag, Session } from '../app/session.ts';
import { verifyDag, type CheckId, type DagVerification } from '../verify/index.ts';

/** Logical dates `[from, to)`: `to` excluded, as `dagbox dags backfill -s FROM -e TO`. */
export interface WindowRange {
  from: string | Date;
  to: string | Date;
}

/** Options of {@link Harness.verify}. */
export interface VerifyRangeOptions extends WindowRange {
  /** Checks to run (default: all but atomicity, which `faults` adds). */
  checks?: CheckId[];
  faults?: boolean;
  order?: 'backwards' | 'shuffle';
  seed?: number;
}

/** Options of {@link createHarness}. */
export interface HarnessOptions {
  /** Folder of DAG files, relative to `cwd` (default: `dags` in dagbox.config.ts, else `dags`). */
  dags?: string;
  /** The project folder: dagbox.config.ts, fixtures/ (default: the current directory). */
  cwd?: string;
  /** How to provide MySQL, Postgres and S3 (default: the config's, else auto). */
  services?: ServicesFlag;
  /** Service log lines (default: dropped). */
  log?: (line: string) => void;
}

/** A DAG of a harness, for `expect(h.dag('id')).toBeIdempotent(...)`. */
export interface HarnessDag {
  readonly harness: Harness;
  readonly id: string;
  readonly dag: Dag;
}

/** Services, fixtures and DAGs of a project for tests; dispose it (`await using`) to stop everything. */
export interface Harness extends AsyncDisposable {
  readonly project: Project;
  readonly session: Session;
  /** A DAG by id, for the matchers; throws naming the nearest id when there is none. */
  dag(id: string): HarnessDag;
  /**
   * Run the intervals with logical dates in `[from, to)` on the current state, oldest first, as
   * `dagbox dags backfill` does (not recorded). Throws with the failed tasks' errors when a run fails.
   */
  backfill(id: string, from: string | Date, to: string | Date, options?: { allowFailures?: boolean }): Promise<DagRunResult[]>;
  /**
   * The rows of a table, ordered by its primary key (else every column): `raw_data.nps` in the
   * warehouse, `mysql:prod.nps` in the source (a name found only in MySQL works without the prefix).
   */
  rows(table: string): Promise<Record<string, unknown>[]>;
  /** Put the services back as the fixtures left them. */
  reset(): Promise<void>;
  /** Verify a DAG over `[from, to)` from the fixtures; the state afterwards is the verification's. */
  verify(id: string, options: VerifyRangeOptions): Promise<DagVerification>;
  close(): Promise<void>;
}

/** A backfill of the harness had failed runs. */
export class BackfillError extends Error {
  override name = 'BackfillError';
  constructor(
    message: string,
    readonly runs: DagRunResult[],
  ) {
    super(message);
  }
}

/**
 * Start a harness: load dagbox.config.ts and the DAGs (any file that fails to load is an error),
 * start the services, load the fixtures and snapshot them.
 *
 * ```ts
 * await using h = await createHarness({ dags: 'dags' });
 * await h.backfill('mysql_to_redshift_v2', '2021-02-05', '2021-02-08');
 * const rows = await h.rows('raw_data.nps');
 * ```
 */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const project = await openProject(cwd, options.dags ? { dags: options.dags } : {});
  if (project.bag.errors.length > 0) {
    throw new Error(`createHarness: ${project.bag.errors.length} DAG file(s) failed to load:\n${project.bag.errors.map((e) => `  ${formatLoadError(e)}`).join('\n')}`);
  }
  const session = await project.startSession(options.services, options.log ?? (() => {}));
  let fixtures: Snapshot | null = null;
  try {
    fixtures = await session.snapshot('dgbx-harness-fixtures');
  } catch (error) {
    await session.stop();
    throw error;
  }
  let closed: Promise<void> | undefined;
  const harness: Harness = {
    project,
    session,
    dag(id) {
      return { harness, id, dag: project.dag(id) };
    },
    async backfill(id, from, to, opts = {}) {
      const dag = project.dag(id);
      const intervals = windowOf(dag, { from, to });
      const env = await project.env({ clockStart: intervals[0]?.end ?? new Date(), record: false });
      const runs = await runIntervals(dag, intervals, env, { runType: 'backfill' });
      const failed = runs.filter((r) => r.state !== 'success');
      if (failed.length > 0 && !opts.allowFailures) {
        const details = failed.flatMap((r) => [`  ${r.interval.start.toISOString()}: ${r.state}`, ...failureDetails(r)]).join('\n');
        throw new BackfillError(`backfill of ${id} [${String(from)}, ${String(to)}): ${failed.length} of ${runs.length} run(s) failed:\n${details}`, runs);
      }
      return runs;
    },
    async rows(table) {
      return readRows(session, table);
    },
    async reset() {
      await session.restore(fixtures);
    },
    async verify(id, opts) {
      const dag = project.dag(id);
      const intervals = windowOf(dag, opts);
      const env = await project.env({ clockStart: intervals[0]?.end ?? new Date(), record: false });
      return verifyDag(session, dag, env, {
        intervals,
        fixtures,
        restoreFirst: true,
        ...(opts.checks ? { checks: opts.checks } : {}),
        ...(opts.faults !== undefined ? { faults: opts.faults } : {}),
        ...(opts.order ? { order: opts.order } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        settings: project.config.verify,
      });
    },
    close() {
      closed ??= (async () => {
        try {
          await session.dropSnapshot(fixtures);
        } finally {
          await session.stop();
        }
      })();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return harness.close();
    },
  };
  return harness;
}

function windowOf(dag: Dag, range: WindowRange): DataInterval[] {
  const spec = scheduleSpecOf(dag);
  const start = parseDate(range.from, spec.timezone);
  const end = parseDate(range.to, spec.timezone);
  if (end <= start) throw new Error(`the range [${String(range.from)}, ${String(range.to)}) of DAG "${dag.id}" is empty: "to" must come after "from"`);
  return backfillIntervals(spec, start, end, { endExclusive: true, withinDagDates: true });
}

async function readRows(session: Session, name: string): Promise<Record<string, unknown>[]> {
  const { postgres, mysql } = session.clients;
  const m = /^(?:(mysql|postgres|warehouse|redshift):)?(?:([^.]+)\.)?(.+)$/.exec(name);
  if (!m) throw new Error(`rows("${name}"): expected schema.table, e.g. raw_data.nps or mysql:prod.nps`);
  const [, prefix, schemaGiven, table] = m as unknown as [string, string | undefined, string | undefined, string];
  const wantMysql = prefix === 'mysql';
  if (!wantMysql && postgres) {
    const schema = schemaGiven ?? 'public';
    const key = await postgres.pool.query<{ cols: string[] | null }>(
      `SELECT (SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)) FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = c.oid AND i.indisprimary) AS cols
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, table],
    );
    if (key.rows.length > 0 || prefix) {
      const order = key.rows[0]?.cols?.length ? key.rows[0].cols.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ') : 'ROW(t.*)::text';
      const { rows } = await postgres.pool.query(`SELECT * FROM ${pgTableName(schema, table)} t ORDER BY ${order}`);
      return rows;
    }
  }
  if (!mysql) throw new Error(`rows("${name}"): no such table in the warehouse, and no MySQL service`);
  const schema = schemaGiven ?? mysql.database;
  const [cols] = await mysql.pool.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
    [schema, table],
  );
  const [all] = await mysql.pool.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [schema, table],
  );
  if (all.length === 0) throw new Error(`rows("${name}"): no table ${name} in the warehouse or the source database`);
  const order = (cols.length > 0 ? cols : all).map((r) => `\`${String(r.c).replaceAll('`', '``')}\``).join(', ');
  const [rows] = await mysql.pool.query<RowDataPacket[]>(`SELECT * FROM ${mysqlTableName(schema, table)} ORDER BY ${order}`);
  return rows.map((r) => ({ ...r }));
}
