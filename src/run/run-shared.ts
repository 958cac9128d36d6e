import type { DataInterval } from '../dag/types.ts';
import { formatDs, formatDsNodash, formatTs } from '../schedule/index.ts';
import { resolveParams } from '../dag/params.ts';
import { templateScope } from '../template/index.ts';
import type { TemplateScope } from '../template/index.ts';
import type { RunPlan } from './plan.ts';
import type { RunEnvironment, RunEvent, RunType } from './types.ts';
import { XComStore } from './xcom.ts';

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
  /** The run's template scope, made on first use; with a task id, that task's params in it. */
  scope(taskId?: string): TemplateScope;
  /** Sends an event to `env.onEvent`; null when nobody listens, so callers skip building events. */
  emit: ((event: RunEvent) => void) | null;
  /** A signal that never aborts, for tasks without an execution timeout. */
  idleSignal: AbortSignal;
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
  // Airflow's prev_ds is the schedule time before the logical date (dag.previous_schedule), even
  // for a manual run whose interval ends at its logical date; next_ds follows the interval.
  const prev = plan.schedule.previousInterval({ start: logicalDate, end: interval.end });
  const next = plan.schedule.followingInterval(interval);
  // Airflow's dag_run_conf_overrides_params: the run's conf wins over declared params, then every param is checked.
  const params = resolveParams(dag.options.params, conf, `DAG "${dag.id}"`);
  const taskParams = new Map<string, Record<string, unknown>>();
  for (const t of plan.tasks) {
    const own = t.task.args.params;
    if (own && Object.keys(own).length > 0) taskParams.set(t.id, resolveParams({ ...dag.options.params, ...own }, conf, `task "${t.id}" of DAG "${dag.id}"`));
  }
  const runIdValue = runId ?? runIdFor(runType, logicalDate);
  // Airflow gives an externally triggered run its own date as prev and next ("not run on a schedule").
  const prevDs = externalTrigger ? formatDs(logicalDate) : prev ? formatDs(prev.start) : null;
  const nextDs = externalTrigger ? formatDs(logicalDate) : next ? formatDs(next.start) : null;
  let scope: TemplateScope | undefined;
  return {
    plan,
    env,
    dagId: dag.id,
    runId: runIdValue,
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
    scope: (taskId) => {
      const made = (scope ??= templateScope({ interval, logicalDate, prevDs, nextDs, params, dagRun: { conf, runId: runIdValue }, variable: (key: string) => env.variables.get(key) }));
      const own = taskId === undefined ? undefined : taskParams.get(taskId);
      return own ? { ...made, params: own } : made;
    },
    emit: env.onEvent ? safeObserver(env.onEvent) : null,
    idleSignal: new AbortController().signal,
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
