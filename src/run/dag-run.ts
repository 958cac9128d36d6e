import type { Dag } from '../dag/dag.ts';
import type { DagRunState, DataInterval } from '../dag/types.ts';
import { maxActiveTasks, planDag } from './plan.ts';
import type { RunPlan } from './plan.ts';
import { createRunShared } from './run-shared.ts';
import type { RunShared } from './run-shared.ts';
import { TaskQueue } from './task-queue.ts';
import { pendingResult } from './task-instance.ts';
import type { DagRunResult, RunEnvironment, RunType } from './types.ts';

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
  const results = plan.tasks.map((t) => pendingResult(t.id, t.mapped ? -1 : undefined));
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
  const queue = new TaskQueue(shared, plan, results, limit, opts.previous ?? null, env.signal);
  const stopped = await Promise.race([queue.run().then(() => false), whenAborted(env.signal)]);
  if (stopped) return endInterrupted(shared, run, t0);
  const outcome = runOutcome(plan, queue);
  const ended: DagRunResult = {
    ...run,
    tasks: queue.allResults(),
    state: outcome.state,
    endedAt: env.clock.now(),
    durationMs: performance.now() - t0,
    ...(outcome.error !== undefined ? { error: env.masker.mask(outcome.error) } : {}),
  };
  await recordEnd(shared, ended);
  shared.emit?.({ type: 'run-end', run: ended });
  return ended;
}

/**
 * End a run that a stop request cut short: `interrupted`, naming the tasks that were running (they
 * may still be finishing in the background, but nothing they do is recorded any more).
 */
async function endInterrupted(shared: RunShared, run: DagRunResult, t0: number): Promise<DagRunResult> {
  const tasks = run.tasks.map((t) => ({ ...t, log: [...t.log] }));
  const inFlight = tasks.filter((t) => t.state === 'running' || t.state === 'queued' || t.state === 'up_for_retry').map((t) => `"${t.taskId}"`);
  const notStarted = tasks.filter((t) => t.state === 'none' || t.state === 'scheduled').length;
  const doing = inFlight.length > 0 ? ` while task(s) ${inFlight.join(', ')} ${inFlight.length === 1 ? 'was' : 'were'} running` : '';
  const rest = notStarted > 0 ? `; ${notStarted} task(s) had not started` : '';
  const ended: DagRunResult = {
    ...run,
    tasks,
    state: 'interrupted',
    endedAt: shared.env.clock.now(),
    durationMs: performance.now() - t0,
    error: shared.env.masker.mask(`stopped by ${stopReason(shared.env.signal)}${doing}${rest}; run the interval again to complete it (the next \`dagbox dags backfill\` does)`),
  };
  await recordEnd(shared, ended);
  shared.emit?.({ type: 'run-end', run: ended });
  return ended;
}

/** Resolves true once `signal` aborts; never, without one. */
function whenAborted(signal: AbortSignal | undefined): Promise<true> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve(true);
    signal.addEventListener('abort', () => resolve(true), { once: true });
  });
}

/** What stopped a run, for its error: the signal's name, or the abort reason's message. */
function stopReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'a stop request';
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
function runOutcome(plan: RunPlan, queue: TaskQueue): { state: DagRunState; error?: string } {
  const stuck = queue.stuckTasks();
  if (stuck.length > 0) {
    const list = stuck.map((s) => `"${s.id}" (${s.reason})`).join('; ');
    return { state: 'failed', error: `no task could run any more, but ${stuck.length} task(s) never ran: ${list}` };
  }
  const failedLeaves = plan.tasks.filter((t) => t.downstream.length === 0 && queue.instancesOf(t.index).some((r) => isFailedState(r.state)));
  if (failedLeaves.length === 0) return { state: 'success' };
  const failed = queue.allResults().filter((r) => r.state === 'failed');
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
