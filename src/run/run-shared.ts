import type { DataInterval } from '../dag/types.ts';
import { formatDs, formatDsNodash, formatTs } from '../schedule/index.ts';
import { resolveParams } from '../dag/params.ts';
import { templateScope } from '../template/index.ts';
import type { ScopeInput, ScopeTask, TemplateScope } from '../template/index.ts';
import type { RunPlan } from './plan.ts';
import type { RunEnvironment, RunEvent, RunType } from './types.ts';
import { XComStore } from './xcom.ts';
import { RunTime } from './sim-time.ts';

/** What every task instance of one DAG run shares: identity, dates, XComs, template scope, observer. */
export interface RunShared {
  plan: RunPlan;
  env: RunEnvironment;
  dagId: string;
  runId: string;
  runType: RunType;
  interval: DataInterval;
  /** The logical date: the interval's start, except for manual runs (see DagRunOptions.logicalDate). */
  logicalDate: Date;
  /** `dag_run.conf`: what the run was triggered with (`{}` when nothing). */
  conf: Record<string, unknown>;
  ds: string;
  dsNodash: string;
  ts: string;
  prevDs: string | null;
  nextDs: string | null;
  params: Record<string, unknown>;
  /** Params of tasks that declare their own (DAG params, task params over them, conf over both). */
  taskParams: Map<string, Record<string, unknown>>;
  xcom: XComStore;
  /** The run's template scope, made on first use. */
  scope(): TemplateScope;
  /** The template scope of one task of the run (`task`, `ti` and `ti.xcom_pull` filled in, its own params). */
  scopeFor(task: ScopeTask): TemplateScope;
  /** Sends an event to `env.onEvent`; null when nobody listens, so callers skip building events. */
  emit: ((event: RunEvent) => void) | null;
  /** A signal that never aborts, for tasks without an execution timeout. */
  idleSignal: AbortSignal;
  /** `ctx.sleep` of the run's task instances: simulated waits on a virtual clock. */
  time: RunTime;
}

/** The Airflow run id: `<runType>__<logical date as ISO 8601 with offset>`, e.g. `scheduled__2021-02-05T00:00:00+00:00`. */
export function runIdFor(runType: RunType, logicalDate: Date): string {
  return `${runType}__${formatTs(logicalDate)}`;
}

/** Prepare what the task instances of one run share. */
export function createRunShared(
  plan: RunPlan,
  interval: DataInterval,
  env: RunEnvironment,
  runType: RunType,
  runId: string | undefined,
  logicalDate: Date = interval.start,
  conf: Record<string, unknown> = {},
  externalTrigger = false,
): RunShared {
  const { dag } = plan;
  const next = plan.schedule.followingInterval(interval);
  // Airflow's dag_run_conf_overrides_params: the run's conf wins over declared params, then every param is checked.
  const params = resolveParams(dag.options.params, conf, `DAG "${dag.id}"`);
  const taskParams = new Map<string, Record<string, unknown>>();
  for (const t of plan.tasks) {
    const own = t.task.args.params;
    if (own && Object.keys(own).length > 0) taskParams.set(t.id, resolveParams({ ...dag.options.params, ...own }, conf, `task "${t.id}" of DAG "${dag.id}"`));
  }
  // Airflow 2's prev_ds is the schedule tick before the logical date (dag.previous_schedule), also
  // before startDate and for a manual run whose interval ends at its logical date; an externally
  // triggered run gets its own date as prev and next ("not run on a schedule").
  const tt = plan.schedule.timetable;
  const prev = plan.schedule.previousInterval({ start: logicalDate, end: interval.end });
  const prevLogicalDate = externalTrigger ? logicalDate : tt.kind === 'interval' ? new Date(tt.prev(logicalDate.getTime())) : prev ? prev.start : null;
  const nextLogicalDate = externalTrigger ? logicalDate : next ? next.start : null;
  const prevDs = prevLogicalDate ? formatDs(prevLogicalDate) : null;
  const nextDs = nextLogicalDate ? formatDs(nextLogicalDate) : null;
  let scope: TemplateScope | undefined;
  const resolvedRunId = runId ?? runIdFor(runType, logicalDate);
  const scopeInput: ScopeInput = {
    interval,
    logicalDate,
    prevLogicalDate,
    nextLogicalDate,
    params,
    variable: (key: string) => env.variables.get(key),
    connection: (connId: string) => env.connections.get(connId),
    dagId: dag.id,
    runId: resolvedRunId,
    runType,
    conf,
    timezone: dag.options.timezone ?? 'UTC',
  };
  return {
    plan,
    env,
    dagId: dag.id,
    runId: resolvedRunId,
    runType,
    interval,
    logicalDate,
    conf,
    ds: formatDs(logicalDate),
    dsNodash: formatDsNodash(logicalDate),
    ts: formatTs(logicalDate),
    prevDs,
    nextDs,
    params,
    taskParams,
    xcom: new XComStore(dag.id, plan.byId),
    scope: () => (scope ??= templateScope(scopeInput)),
    scopeFor: (task) => templateScope({ ...scopeInput, task, params: taskParams.get(task.taskId) ?? params }),
    emit: env.onEvent ? safeObserver(env.onEvent) : null,
    idleSignal: new AbortController().signal,
    time: new RunTime(env.clock),
  };
}

/** Wrap an observer so that a throwing one never breaks the run; it is reported once as a process warning. */
function safeObserver(onEvent: (event: RunEvent) => void): (event: RunEvent) => void {
  let warned = false;
  return (event) => {
    try {
      onEvent(event);
    } catch (error) {
      if (warned) return;
      warned = true;
      process.emitWarning(`dagbox: the run's onEvent observer threw (further errors are ignored): ${(error as Error)?.stack ?? String(error)}`);
    }
  };
}
