import type { DataInterval } from '../dag/types.ts';
import { formatDs, formatDsNodash, formatTs } from '../schedule/index.ts';
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
  ds: string;
  dsNodash: string;
  ts: string;
  prevDs: string | null;
  nextDs: string | null;
  params: Record<string, unknown>;
  xcom: XComStore;
  /** The run's template scope, made on first use. */
  scope(): TemplateScope;
  /** The template scope of one task of the run (`task`, `ti` and `ti.xcom_pull` filled in). */
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
): RunShared {
  const { dag } = plan;
  const prev = plan.schedule.previousInterval(interval);
  const next = plan.schedule.followingInterval(interval);
  const params = { ...dag.options.params };
  // Airflow 2's prev_ds is the previous schedule tick (dag.previous_schedule), also before startDate.
  const tt = plan.schedule.timetable;
  const prevLogicalDate = tt.kind === 'interval' ? new Date(tt.prev(interval.start.getTime())) : prev ? prev.start : null;
  const prevDs = prevLogicalDate ? formatDs(prevLogicalDate) : null;
  const nextDs = next ? formatDs(next.start) : null;
  let scope: TemplateScope | undefined;
  const resolvedRunId = runId ?? runIdFor(runType, interval.start);
  const scopeInput: ScopeInput = {
    interval,
    prevLogicalDate,
    nextLogicalDate: next ? next.start : null,
    params,
    variable: (key: string) => env.variables.get(key),
    connection: (connId: string) => env.connections.get(connId),
    dagId: dag.id,
    runId: resolvedRunId,
    runType,
    timezone: dag.options.timezone ?? 'UTC',
  };
  return {
    plan,
    env,
    dagId: dag.id,
    runId: resolvedRunId,
    runType,
    interval,
    ds: formatDs(interval.start),
    dsNodash: formatDsNodash(interval.start),
    ts: formatTs(interval.start),
    prevDs,
    nextDs,
    params,
    xcom: new XComStore(dag.id, plan.byId),
    scope: () => (scope ??= templateScope(scopeInput)),
    scopeFor: (task) => templateScope({ ...scopeInput, task }),
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
