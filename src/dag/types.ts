import type { TemplatePart } from '../template/types.ts';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type { Pool as PgPool } from 'pg';
import type { Connection } from '../config/connection.ts';
import type { VerifySettings } from '../verify/types.ts';
import type { Schedule } from '../schedule/presets.ts';

/** When a task runs, given the states of its upstream tasks: Airflow 2.8's trigger rules (see `evaluateTriggerRule`). */
export type TriggerRule =
  | 'all_success'
  | 'all_failed'
  | 'all_done'
  | 'all_skipped'
  | 'one_success'
  | 'one_failed'
  | 'one_done'
  | 'none_failed'
  | 'none_failed_min_one_success'
  | 'none_skipped'
  | 'always';

/** How a task's effective priority is computed from `priorityWeight` (Airflow's weight_rule). */
export type WeightRule = 'downstream' | 'upstream' | 'absolute';

/** Task instance states, with Airflow's names. */
export type TaskState =
  | 'none'
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'success'
  | 'failed'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'upstream_failed'
  | 'skipped';

/** DAG run states. `interrupted` marks a run whose process died while it was running. */
export type DagRunState = 'queued' | 'running' | 'success' | 'failed' | 'interrupted';

/** A duration: milliseconds, or a string such as `'30s'`, `'5m'`, `'1h'`, `'2d'`. */
export type Duration = number | string;

/** Called on task failure, success or retry with the task's context and, on failure or retry, the error. */
export type TaskCallback = (ctx: TaskContext, error?: unknown) => void | Promise<void>;

/** Arguments every task takes, settable per DAG in `defaultArgs` and overridden per task. */
export interface TaskArgs {
  /** How many times a failed task is tried again (default 0). */
  retries?: number;
  /** Wait between tries, on the run's clock (virtual in simulations). Default 5 minutes, as Airflow. */
  retryDelay?: Duration;
  /** A try that takes longer than this fails with a timeout error. */
  executionTimeout?: Duration;
  /** Trigger rule, default `all_success`. */
  triggerRule?: TriggerRule;
  /** Run only when this task succeeded (or was skipped) in the previous DAG run. */
  dependsOnPast?: boolean;
  onFailure?: TaskCallback;
  onSuccess?: TaskCallback;
  onRetry?: TaskCallback;
  owner?: string;
  /** Priority among tasks waiting for a slot (default 1); higher runs first. */
  priorityWeight?: number;
  /** `downstream` (default: own weight plus every downstream task's), `upstream`, or `absolute`. */
  weightRule?: WeightRule;
  /** The pool whose slots the task takes while it runs (default `default_pool`, 128 slots). */
  pool?: string;
  /** Slots of the pool the task takes (default 1). */
  poolSlots?: number;
  /** At most this many instances of the task run at once, over every run and map index. */
  maxActiveTisPerDag?: number;
  /** Push each key of a returned plain object as its own XCom too (TaskFlow's multiple_outputs). */
  multipleOutputs?: boolean;
  /** Datasets (tables, S3 prefixes) this task updates when it succeeds, as Airflow's `outlets`: they trigger DAGs scheduled on them. */
  outputs?: Dataset[];
  /**
   * Task-level params, merged over the DAG's (`{{ params.x }}`, `ctx.params`): plain values or
   * `param(default, schema)` declarations, checked when the run starts.
   */
  params?: Record<string, unknown>;
}

/** A table or S3 prefix a DAG or task reads or writes, for lineage: `'raw_data.nps'`, `'s3://bucket/prefix/'`. */
export type Dataset = string;

/** Options of `new Dag(...)`: every Airflow DAG argument dagbox understands, in camelCase. */
export interface DagOptions {
  /** dag_id: letters, digits, `_`, `-` and `.`. */
  id: string;
  /**
   * A cron expression, a preset (`@once @hourly @daily @weekly @monthly @yearly`), a fixed period
   * (`'48h'` or `{ every: '2h' }`, Airflow's timedelta schedule), a list of datasets whose update
   * triggers a run (`['raw_data.nps']`), or `null`/`'none'` for manual runs only.
   */
  schedule: Schedule;
  /** First data interval starts here. A date (`'2021-02-05'`), an ISO timestamp, or a Date. Read in `timezone`. */
  startDate: string | Date;
  /** No interval starts after this (one may start exactly at it, as in Airflow). */
  endDate?: string | Date;
  /** IANA time zone the schedule is read in. Default `UTC`. */
  timezone?: string;
  /** Run every missed interval since startDate (true, Airflow's default) or only the latest one. */
  catchup?: boolean;
  /** Upper bound on concurrent runs of this DAG. Default 1, safe for incremental loads. */
  maxActiveRuns?: number;
  /** Upper bound on concurrently running tasks within one run. Default 16. */
  maxActiveTasks?: number;
  defaultArgs?: TaskArgs;
  /**
   * Values visible to templates as `{{ params.X }}` and to tasks as `ctx.params`: plain values, or
   * `param(default, { type, minimum, enum, ... })` declarations checked at load and at each run.
   * A run's conf (`dagbox dags trigger DAG --conf JSON`) overrides them, as in Airflow.
   */
  params?: Record<string, unknown>;
  owner?: string;
  description?: string;
  tags?: string[];
  /** Tables and S3 prefixes the DAG reads. */
  inputs?: Dataset[];
  /** Tables and S3 prefixes the DAG writes. */
  outputs?: Dataset[];
  /**
   * Verification settings for the tables this DAG writes (`dagbox test`, `dags backfill --verify`):
   * volatile columns to ignore, row keys, event-time columns. They win over `verify` in dagbox.config.ts.
   */
  verify?: VerifySettings;
}

/** The data interval of one DAG run: `[start, end)`; the logical date is `start`. */
export interface DataInterval {
  start: Date;
  end: Date;
}

/** XCom: small values passed between tasks of one DAG run. */
export interface XCom {
  /** Push a value under a key for this task. */
  push(key: string, value: unknown): void;
  /**
   * Pull a value: by default the `return_value` of the given task.
   * With an array of task ids, returns an array of values in the same order.
   */
  pull(taskIds: string | string[], key?: string): unknown;
}

/** Read-only access to Variables (`Variable.get`). */
export interface Variables {
  /** The variable's value; JSON values come parsed. Throws a clear error when missing and no fallback is given. */
  get<T = unknown>(key: string, fallback?: T): T;
  has(key: string): boolean;
}

/** Access to Connections by id (`BaseHook.get_connection`). */
export interface Connections {
  /** The connection; throws an error naming the id and how to define it when missing. */
  get(connId: string): Connection;
  has(connId: string): boolean;
}

/** A task log; every line is masked for secrets before it is written anywhere. */
export interface TaskLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * What a task receives when it runs: Airflow's template context, in camelCase.
 *
 * ```ts
 * d.task('extract', async (ctx) => {
 *   ctx.log.info(`loading ${ctx.ds}`);
 *   return ctx.xcom.pull('previous');
 * });
 * ```
 */
export interface TaskContext {
  dagId: string;
  taskId: string;
  runId: string;
  /** 1 on the first try, 2 on the first retry, ... */
  tryNumber: number;
  /** The map index of a mapped task instance (`.expand()`), -1 for a task that is not mapped. */
  mapIndex: number;
  /** The run's clock: virtual in simulations, so a task that asks for the time gets the simulated time. */
  now(): Date;
  /**
   * Wait `ms` on the run's clock. On a virtual clock it returns at once and moves the clock,
   * after the run's other running tasks have settled (they may be what the wait is for).
   * `reschedule: true` shows the task as `up_for_reschedule` during the wait (sensors).
   */
  sleep(ms: number, opts?: { reschedule?: boolean }): Promise<void>;
  /** Another DAG's task instance state for a logical date, from the run history (ExternalTaskSensor); null when it never ran. */
  externalTaskState(dagId: string, taskId: string | null, logicalDate: Date): Promise<string | null>;
  /** Start of the data interval (Airflow's execution_date). */
  logicalDate: Date;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
  /** Logical date as `YYYY-MM-DD`, in UTC as in Airflow (whose context dates are UTC). */
  ds: string;
  /** Logical date as `YYYYMMDD`. */
  dsNodash: string;
  /** Logical date as an ISO 8601 timestamp with offset. */
  ts: string;
  /** ds of the previous scheduled interval, if the schedule has one. */
  prevDs: string | null;
  /** ds of the next scheduled interval, if the schedule has one. */
  nextDs: string | null;
  params: Record<string, unknown>;
  /** The DAG run: its id, type, logical date and `conf` (Airflow's `dag_run`, `{{ dag_run.conf }}`). */
  dagRun: DagRunInfoForTask;
  /**
   * Run another DAG with a conf (what TriggerDagRunOperator does): after this run, or now with
   * `waitForCompletion` (then it resolves to that run, and rejects unless it succeeded).
   */
  triggerDagRun(dagId: string, opts?: { conf?: Record<string, unknown>; logicalDate?: Date; waitForCompletion?: boolean }): Promise<void>;
  xcom: XCom;
  variables: Variables;
  connections: Connections;
  log: TaskLog;
  /** Render a template string with this run's values (`{{ ds }}`, `{{ params.x }}`, ...). */
  render(template: string): string;
  /** The same rendering in parts: literal text, and one part per `{{ ... }}` value (what SQL binding needs). */
  renderParts(template: string): TemplatePart[];
  /** Where the task was declared, as `dags/nps.ts:12`, for messages; undefined when unknown. */
  location?: string;
  /** The text with every secret (connection passwords, sensitive variables) replaced by `***`: for text that leaves the task, such as an alert. */
  mask(text: string): string;
  /** Aborted when the task times out; pass it to long operations. */
  signal: AbortSignal;
  /** The session's source database (MySQL) as a mysql2 promise pool; do not end it. */
  mysql(): MysqlPool;
  /** The session's warehouse (Postgres, standing in for Redshift) as a pg pool; do not end it. */
  postgres(): PgPool;
  /** `postgres()` under the name the warehouse has in the course: Redshift. */
  warehouse(): PgPool;
  /** An S3 client for the session's object store (path-style, checksums only when required). */
  s3(): S3Client;
  /** The session's own bucket. */
  bucket: string;
  /**
   * A place where verification may inject a failure (`dagbox dags backfill --verify --faults`):
   * writers call it inside their streams and between the steps of a load, e.g.
   * `ctx.faultPoint('copy', { rows })`. Does nothing in a normal run.
   */
  faultPoint(site: string, detail?: { rows?: number }): void;
  /** Other values added by the session running the task. */
  [hook: string]: unknown;
}

/** What a task sees of its DAG run (Airflow's `dag_run`). */
export interface DagRunInfoForTask {
  runId: string;
  runType: string;
  logicalDate: Date;
  /** What the run was triggered with (`dags trigger --conf`); `{}` for scheduled and backfill runs. */
  conf: Record<string, unknown>;
}

/** The members of TaskContext that a session's services provide. */
export type ServiceHooks = Pick<TaskContext, 'mysql' | 'postgres' | 'warehouse' | 's3' | 'bucket'>;

/**
 * A task body written as a plain async function. Its return value is pushed to XCom as
 * `return_value`. `input` holds the values given with `.with()`, `.partial()` and `.expand()`
 * (TaskFlow arguments), XComs already pulled.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFunction<I = any> = (ctx: TaskContext, input?: I) => unknown | Promise<unknown>;

/**
 * An operator: a reusable task body with declared, templated arguments (Airflow's BaseOperator).
 * The executor renders every field named in `templateFields` (strings, and strings inside arrays
 * and plain objects) before calling `execute` with the rendered arguments.
 *
 * ```ts
 * const sql = (args: { conn: string; sql: string }): Operator<typeof args> => ({
 *   kind: 'sql', args, templateFields: ['sql'],
 *   execute: async (ctx, a) => runSql(ctx.connections.get(a.conn), a.sql),
 * });
 * ```
 */
export interface Operator<A extends object = Record<string, unknown>> {
  /** The operator's name, shown by `dagbox tasks list` (e.g. `sqlToS3`). */
  readonly kind: string;
  readonly args: A;
  readonly templateFields: readonly (keyof A & string)[];
  /**
   * Templated fields that are SQL, each with the name of the argument holding its connection id
   * (`{ sql: 'connId' }`): `dagbox tasks render` binds them as execution does, so a value that
   * could not run is refused there too.
   */
  readonly sqlFields?: Readonly<Partial<Record<keyof A & string, keyof A & string>>>;
  /** Tables and S3 prefixes it reads and writes, for lineage and verification. */
  readonly inputs?: Dataset[];
  readonly outputs?: Dataset[];
  execute(ctx: TaskContext, args: A): unknown | Promise<unknown>;
  /** Called when the task is stopped (its executionTimeout passed): release what `execute` holds, kill child processes. */
  onKill?(ctx: TaskContext): void | Promise<void>;
}

/** Where a DAG or task was declared, for error messages. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}
