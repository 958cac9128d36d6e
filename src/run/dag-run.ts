import type { Dag } from '../dag/dag.ts';
import type { DagRunState, DataInterval } from '../dag/types.ts';
import { maxActiveTasks, planDag } from './plan.ts';
import type { RunPlan } from './plan.ts';
import { createRunShared } from './run-shared.ts';
import type { RunShared } from './run-shared.ts';
import { RunScheduler } from './scheduler.ts';
import { pendingResult } from './task-instance.ts';
import type { DagRunResult, RunEnvironment, RunType, TaskInstanceResult } from './types.ts';

/** Options of {@link runDagRun}. */
export interface DagRunOptions {
  /** Default: `<runType>__<logical date>`, as Airflow. */
  runId?: string;
  /** Default `manual`. */
  runType?: RunType;
  /** The previous interval's run, for dependsOnPast tasks; null or omitted = this is the first run. */
  previous?: DagRunResult | null;
  /**
   * The run's logical date when it is not the interval's start: a manual run (Airflow's
   * `dags test DAG DATE`, `dags trigger`) has logical date DATE and the data interval Airflow
   * infers for it, which *ends* at DATE (see `manualInterval`). Default: `interval.start`.
   */
  logicalDate?: Date;
  /** `dag_run.conf` of a triggered run (`dags trigger --conf JSON`); default `{}`. */
  conf?: Record<string, unknown>;
  /**
   * A run triggered from outside the schedule (`dags trigger`, TriggerDagRunOperator): as in
   * Airflow, its `prev_ds` and `next_ds` are its own `ds`. `dags test` runs are not external.
   */
  externalTrigger?: boolean;
}

/**
 * Run one DAG run in process: every task in topological order, at most `maxActiveTasks` at once,
 * with trigger rules, retries (on `env.clock`), timeouts, XCom and callbacks. Task failures are
 * results, not exceptions: the returned run is `failed` when a leaf task failed or is
 * upstream_failed (Airflow's rule), or when some task could never run. Rejects only when the DAG
 * cannot be planned (an invalid argument) or the run store cannot be written.
 *
 * ```ts
 * const run = await runDagRun(dag, { start: new Date('2021-02-05Z'), end: new Date('2021-02-06Z') }, env);
 * run.state; // 'success'
 * ```
 */
export async function runDagRun(dag: Dag, interval: DataInterval, env: RunEnvironment, opts: DagRunOptions = {}): Promise<DagRunResult> {
  return executeRun(planDag(dag), interval, env, opts);
}

/** {@link runDagRun} for a DAG already planned (runIntervals plans once for all its runs). */
export async function executeRun(plan: RunPlan, interval: DataInterval, env: RunEnvironment, opts: DagRunOptions = {}): Promise<DagRunResult> {
  const limit = maxActiveTasks(plan.dag, env.maxActiveTasks);
  const shared = createRunShared(plan, interval, env, opts.runType ?? 'manual', opts.runId, opts.logicalDate, opts.conf, opts.externalTrigger === true);
  const results = plan.tasks.map((t) => pendingResult(t.id));
  const startedAt = env.clock.now();
  const t0 = performance.now();
  const run: DagRunResult = {
    dagId: shared.dagId,
    runId: shared.runId,
    runType: shared.runType,
    interval,
    ...(shared.logicalDate.getTime() !== interval.start.getTime() ? { logicalDate: shared.logicalDate } : {}),
    ...(Object.keys(shared.conf).length > 0 ? { conf: shared.conf } : {}),
    state: 'running',
    tasks: results,
    startedAt,
    endedAt: startedAt,
    durationMs: 0,
  };
  shared.emit?.({ type: 'run-start', dagId: run.dagId, runId: run.runId, runType: run.runType, interval, at: startedAt });
  await env.store?.record(run);
  const scheduler = new RunScheduler(shared, plan, results, limit, opts.previous ?? null);
  await scheduler.run();
  const outcome = runOutcome(plan, results, scheduler);
  const ended: DagRunResult = {
    ...run,
    state: outcome.state,
    endedAt: env.clock.now(),
    durationMs: performance.now() - t0,
    ...(outcome.error !== undefined ? { error: env.masker.mask(outcome.error) } : {}),
  };
  await recordEnd(shared, ended);
  shared.emit?.({ type: 'run-end', run: ended });
  return ended;
}

async function recordEnd(shared: RunShared, run: DagRunResult): Promise<void> {
  const store = shared.env.store;
  if (!store) return;
  try {
    await store.record(run);
  } catch (error) {
    throw new Error(
      `DAG run ${run.runId} of "${run.dagId}" ended ${run.state} but could not be recorded in ${store.dir}: ${(error as Error).message}; ` +
        'check that the directory is writable',
      { cause: error },
    );
  }
}

/**
 * Airflow's DagRun.update_state: failed when some task could never run (a deadlock) or a leaf
 * task is failed or upstream_failed; else success.
 */
function runOutcome(plan: RunPlan, results: TaskInstanceResult[], scheduler: RunScheduler): { state: DagRunState; error?: string } {
  const stuck = scheduler.stuckTasks();
  if (stuck.length > 0) {
    const list = stuck.map((s) => `"${s.id}" (${s.reason})`).join('; ');
    return { state: 'failed', error: `no task could run any more, but ${stuck.length} task(s) never ran: ${list}` };
  }
  const failedLeaves = plan.tasks.filter((t) => t.downstream.length === 0 && isFailedState(results[t.index]!.state));
  if (failedLeaves.length === 0) return { state: 'success' };
  const failed = results.filter((r) => r.state === 'failed');
  const detail = failed.map((r) => `task "${r.taskId}" failed: ${firstLine(r.error ?? 'no error message')}`).join('; ');
  return { state: 'failed', error: detail || `leaf task(s) ${failedLeaves.map((t) => `"${t.id}"`).join(', ')} did not succeed` };
}

function isFailedState(state: string): boolean {
  return state === 'failed' || state === 'upstream_failed';
}

function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return i < 0 ? text : text.slice(0, i);
}
