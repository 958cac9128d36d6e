import type { Connection } from '../config/connection.ts';
import type { DataInterval } from '../dag/types.ts';
import { PyDateTime } from './dates.ts';
import { MACROS } from './macros.ts';
import type { TemplateScope } from './types.ts';
import { Accessor, Namespace, PyCallable } from './values.ts';

/**
 * The names of Airflow 2's template context that dagbox provides, in the order messages list
 * them. A name added here must be added to {@link templateScope} too (a test checks both agree).
 */
export const CONTEXT_NAMES: readonly string[] = [
  'ds',
  'ds_nodash',
  'ts',
  'ts_nodash',
  'ts_nodash_with_tz',
  'logical_date',
  'execution_date',
  'data_interval_start',
  'data_interval_end',
  'prev_ds',
  'prev_ds_nodash',
  'next_ds',
  'next_ds_nodash',
  'prev_execution_date',
  'next_execution_date',
  'yesterday_ds',
  'yesterday_ds_nodash',
  'tomorrow_ds',
  'tomorrow_ds_nodash',
  'prev_data_interval_start_success',
  'prev_data_interval_end_success',
  'prev_start_date_success',
  'prev_end_date_success',
  'prev_execution_date_success',
  'run_id',
  'dag',
  'dag_run',
  'task',
  'ti',
  'task_instance',
  'task_instance_key_str',
  'test_mode',
  'params',
  'var',
  'conn',
  'macros',
];

/** Names whose value is always a string (or None): they have no attributes and cannot be called. */
export const STRING_NAMES: readonly string[] = [
  'ds', 'ds_nodash', 'ts', 'ts_nodash', 'ts_nodash_with_tz', 'prev_ds', 'prev_ds_nodash', 'next_ds', 'next_ds_nodash',
  'yesterday_ds', 'yesterday_ds_nodash', 'tomorrow_ds', 'tomorrow_ds_nodash', 'run_id', 'task_instance_key_str',
];

/** The task a scope renders for: `task`, `ti` and `task_instance` in templates. */
export interface ScopeTask {
  taskId: string;
  /** The operator's kind (`sql`, `sqlToS3`) or `python` for a function task. */
  kind?: string;
  tryNumber?: number;
  /** XCom of this run, as `ti.xcom_pull(task_ids, key)` reads it; absent while only rendering. */
  xcomPull?: (taskIds: string | string[], key: string) => unknown;
}

/** A connection as `{{ conn.ID.host }}` reads it (Airflow's Connection fields). */
export type ScopeConnection = Omit<Connection, 'connId'>;

/** What {@link templateScope} needs; everything past `variable` is optional, so the scope is easy to extend. */
export interface ScopeInput {
  interval: DataInterval;
  /** The run's logical date when it is not the interval start (a manual run); default `interval.start`. */
  logicalDate?: Date;
  /** ds of the previous / next schedule (used when the logical dates below are not given). */
  prevDs?: string | null;
  nextDs?: string | null;
  /** The logical date of the previous schedule tick (Airflow's `dag.previous_schedule`), or null. */
  prevLogicalDate?: Date | null;
  /** The logical date of the next run, or null. */
  nextLogicalDate?: Date | null;
  params: Record<string, unknown>;
  /** `var.value.KEY`: the Variable's value; throws when it is missing. */
  variable: (key: string) => unknown;
  /** `conn.ID`: the connection; throws when it is missing. */
  connection?: (connId: string) => ScopeConnection;
  dagId?: string;
  runId?: string;
  /** `scheduled`, `manual`, `backfill`. */
  runType?: string;
  /** The DAG's time zone name (for `dag.timezone`). */
  timezone?: string;
  /** `dag_run.conf`. */
  conf?: Record<string, unknown>;
  /** The previous successful run of the DAG, when the run history knows it. */
  prevSuccess?: { interval: DataInterval; startDate: Date | null; endDate: Date | null } | null;
  task?: ScopeTask;
  /** True under `tasks test` (Airflow's `test_mode`). */
  testMode?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The template values of one DAG run (and task), as Airflow 2's `get_template_context` has them:
 * the logical date is the interval start, every date is a UTC date-time (so `ds` of a
 * Seoul-midnight run is the day before in Seoul terms, exactly as in Airflow), strings are
 * formatted as Airflow formats them.
 *
 * ```ts
 * const scope = templateScope({
 *   interval: { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') },
 *   prevDs: '2021-02-04', nextDs: '2021-02-06', params: { table: 'nps' }, variable: (k) => vars.get(k),
 * });
 * scope.ds; // '2021-02-05'
 * ```
 */
export function templateScope(input: ScopeInput): TemplateScope {
  const { logical, ds, ts, prevDate, nextDate, prevDs, nextDs, yesterday, tomorrow, start, end } = runDates(input);
  const dagId = input.dagId ?? 'dag';
  const runType = input.runType ?? 'scheduled';
  const runId = input.runId ?? `${runType}__${ts}`;
  const params = input.params ?? {};
  const task = input.task ?? { taskId: 'task' };
  const dagRun = dagRunNamespace(input, { dagId, runId, runType, ts, logical, start, end });
  const ti = taskInstanceNamespace(task, dagId, runId, logical);
  const kind = task.kind ?? 'python';
  return {
    ds,
    ds_nodash: ds.replaceAll('-', ''),
    ts,
    ts_nodash: logical.strftime('%Y%m%dT%H%M%S'),
    ts_nodash_with_tz: ts.replaceAll('-', '').replaceAll(':', ''),
    logical_date: logical,
    execution_date: logical,
    data_interval_start: start,
    data_interval_end: end,
    prev_ds: prevDs,
    prev_ds_nodash: prevDs && prevDs.replaceAll('-', ''),
    next_ds: nextDs,
    next_ds_nodash: nextDs && nextDs.replaceAll('-', ''),
    prev_execution_date: prevDate,
    next_execution_date: nextDate,
    yesterday_ds: yesterday,
    yesterday_ds_nodash: yesterday.replaceAll('-', ''),
    tomorrow_ds: tomorrow,
    tomorrow_ds_nodash: tomorrow.replaceAll('-', ''),
    ...prevSuccessValues(input.prevSuccess ?? null),
    run_id: runId,
    dag: new Namespace('dag', { dag_id: dagId, timezone: input.timezone ?? 'UTC', params, owner: 'airflow' }, `<DAG: ${dagId}>`),
    dag_run: dagRun,
    task: new Namespace('task', { task_id: task.taskId, dag_id: dagId, owner: 'airflow', task_type: kind }, `<Task(${kind}): ${task.taskId}>`),
    ti,
    task_instance: ti,
    task_instance_key_str: `${dagId}__${task.taskId}__${ds.replaceAll('-', '')}`,
    test_mode: input.testMode ?? false,
    params,
    var: variableNamespace(input),
    conn: connectionAccessor(input),
    macros: MACROS,
  };
}

/** The dates of a run, as {@link templateScope} formats them. */
interface RunDates {
  logical: PyDateTime;
  ds: string;
  ts: string;
  prevDate: PyDateTime | null;
  nextDate: PyDateTime | null;
  prevDs: string | null;
  nextDs: string | null;
  yesterday: string;
  tomorrow: string;
  start: PyDateTime;
  end: PyDateTime;
}

/** The logical date, interval bounds, previous / next dates and yesterday / tomorrow of a run (all UTC). */
function runDates(input: ScopeInput): RunDates {
  const logical = PyDateTime.utc(input.logicalDate ?? input.interval.start);
  const ds = logical.strftime('%Y-%m-%d');
  const ts = logical.isoformat();
  const prevDate = input.prevLogicalDate === undefined ? dateOfDs(input.prevDs) : input.prevLogicalDate && PyDateTime.utc(input.prevLogicalDate);
  const nextDate = input.nextLogicalDate === undefined ? dateOfDs(input.nextDs) : input.nextLogicalDate && PyDateTime.utc(input.nextLogicalDate);
  const prevDs = prevDate ? prevDate.strftime('%Y-%m-%d') : null;
  const nextDs = nextDate ? nextDate.strftime('%Y-%m-%d') : null;
  const yesterday = new PyDateTime(logical.instant - DAY_MS, logical.zone).strftime('%Y-%m-%d');
  const tomorrow = new PyDateTime(logical.instant + DAY_MS, logical.zone).strftime('%Y-%m-%d');
  const start = PyDateTime.utc(input.interval.start);
  const end = PyDateTime.utc(input.interval.end);
  return { logical, ds, ts, prevDate, nextDate, prevDs, nextDs, yesterday, tomorrow, start, end };
}

/** The `prev_*_success` values from the previous successful run (all null when it is unknown). */
function prevSuccessValues(success: ScopeInput['prevSuccess'] | null) {
  const utcOrNull = (d: Date | null | undefined) => (d ? PyDateTime.utc(d) : null);
  return {
    prev_data_interval_start_success: utcOrNull(success?.interval.start),
    prev_data_interval_end_success: utcOrNull(success?.interval.end),
    prev_start_date_success: utcOrNull(success?.startDate),
    prev_end_date_success: utcOrNull(success?.endDate),
    prev_execution_date_success: utcOrNull(success?.interval.start),
  };
}

/** The `dag_run` namespace (Airflow's DagRun fields). */
function dagRunNamespace(
  input: ScopeInput,
  run: { dagId: string; runId: string; runType: string; ts: string; logical: PyDateTime; start: PyDateTime; end: PyDateTime },
): Namespace {
  const { dagId, runId, runType, ts, logical, start, end } = run;
  return new Namespace(
    'dag_run',
    {
      dag_id: dagId,
      run_id: runId,
      run_type: runType,
      conf: input.conf ?? {},
      logical_date: logical,
      execution_date: logical,
      data_interval_start: start,
      data_interval_end: end,
      external_trigger: runType === 'manual',
    },
    `<DagRun ${dagId} @ ${ts}: ${runId}, state:running, externally triggered: ${runType === 'manual' ? 'True' : 'False'}>`,
  );
}

/** `ti.xcom_pull(task_ids, dag_id, key, default)`: XComs of this DAG run, read through the task's `xcomPull`. */
function xcomPullCallable(task: ScopeTask, dagId: string): PyCallable {
  return new PyCallable('ti.xcom_pull', ([taskIdsArg, dagIdArg, keyArg], kwargs) => {
    const taskIds = kwargs.task_ids ?? taskIdsArg;
    const key = (kwargs.key ?? keyArg ?? 'return_value') as string;
    const otherDag = kwargs.dag_id ?? dagIdArg;
    const fallback = kwargs.default ?? null;
    if (otherDag !== undefined && otherDag !== null && otherDag !== dagId) throw new Error(`ti.xcom_pull reads XComs of this DAG only, not of DAG "${String(otherDag)}"`);
    if (typeof taskIds !== 'string' && !(Array.isArray(taskIds) && taskIds.every((t) => typeof t === 'string'))) {
      throw new Error(`ti.xcom_pull needs task_ids, a task id or a list of them, found ${JSON.stringify(taskIds)}`);
    }
    if (!task.xcomPull) return Array.isArray(taskIds) ? taskIds.map(() => fallback) : fallback;
    const value = task.xcomPull(taskIds, key);
    if (Array.isArray(taskIds)) return (value as unknown[]).map((v) => v ?? fallback);
    return value ?? fallback;
  }, { usage: "ti.xcom_pull(task_ids='extract', key='return_value')" });
}

/** The `ti` / `task_instance` namespace (Airflow's TaskInstance fields and `xcom_pull`). */
function taskInstanceNamespace(task: ScopeTask, dagId: string, runId: string, logical: PyDateTime): Namespace {
  return new Namespace(
    'ti',
    {
      task_id: task.taskId,
      dag_id: dagId,
      run_id: runId,
      try_number: task.tryNumber ?? 1,
      map_index: -1,
      execution_date: logical,
      logical_date: logical,
      xcom_pull: xcomPullCallable(task, dagId),
    },
    `<TaskInstance: ${dagId}.${task.taskId} ${runId} [running]>`,
  );
}

/** The `var` namespace: `var.value.KEY` (stored text) and `var.json.KEY` (parsed JSON). */
function variableNamespace(input: ScopeInput): Namespace {
  return new Namespace('var', {
    // Airflow's var.value is the Variable's stored text: a JSON value reads as its JSON text.
    value: new Accessor('var.value', (key) => {
      const value = input.variable(key);
      return typeof value === 'string' || value === null || value === undefined ? value : JSON.stringify(value);
    }),
    json: new Accessor('var.json', (key) => {
      const value = input.variable(key);
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw new Error(`the Variable "${key}" is not JSON: ${JSON.stringify(value.slice(0, 40))}`);
      }
    }),
  }, '<var>');
}

/** The `conn` accessor: `conn.ID.host` and the other Connection fields. */
function connectionAccessor(input: ScopeInput): Accessor {
  return new Accessor('conn', (connId) => {
    if (!input.connection) throw new Error('connections are not available here');
    const c = input.connection(connId);
    return new Namespace(`conn.${connId}`, {
      conn_id: connId,
      conn_type: c.connType,
      host: c.host,
      port: c.port,
      login: c.login,
      password: c.password,
      schema: c.schema,
      extra: JSON.stringify(c.extra ?? {}),
      extra_dejson: c.extra ?? {},
    }, connId);
  });
}

function dateOfDs(ds: string | null | undefined): PyDateTime | null {
  if (!ds) return null;
  return PyDateTime.utc(new Date(`${ds}T00:00:00Z`));
}
