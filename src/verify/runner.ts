import type { Dag } from '../dag/dag.ts';
import type { DataInterval, TaskContext } from '../dag/types.ts';
import { runDagRun, runIntervals, VirtualClock, type DagRunResult, type RunEnvironment } from '../run/index.ts';

/**
 * Runs one DAG's intervals for verification. A plain object so callers that run DAGs elsewhere
 * (the dev loop runs them in a worker thread) can supply their own `run`.
 */
export interface IntervalRunner {
  readonly dagId: string;
  /**
   * Run one interval (a backfill run); `previous` is the run before it, for dependsOnPast tasks.
   * `wallClockShiftMs` moves the warehouse's wall clock ahead (a re-run "a day later").
   */
  run(interval: DataInterval, previous?: DagRunResult | null, options?: { wallClockShiftMs?: number }): Promise<DagRunResult>;
}

/** A runner that can also run many intervals at once and with extra task-context hooks (checks 2 and 4). */
export interface DagRunner extends IntervalRunner {
  readonly dag: Dag;
  /** Run `intervals` in the order given, at most `maxActiveRuns` at once (of `other`, an instrumented copy, when given). */
  runMany(
    intervals: DataInterval[],
    maxActiveRuns?: number,
    other?: Dag,
    onRunEnd?: (run: DagRunResult) => void,
    hooks?: (ctx: TaskContext, base: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<DagRunResult[]>;
  /** Run one interval of another DAG object (an instrumented copy) with extra hooks, one task at a time. */
  runWith(
    dag: Dag,
    interval: DataInterval,
    hooks: (ctx: TaskContext, base: Record<string, unknown>) => Record<string, unknown>,
    previous?: DagRunResult | null,
    options?: { wallClockShiftMs?: number },
  ): Promise<DagRunResult>;
}

/**
 * The runner of a loaded DAG in a run environment (with the session's hooks). Verification runs
 * are simulations: they are not recorded in the run history, and each starts its virtual clock at
 * the end of its interval, so a re-run sees exactly what the first run saw.
 */
export function dagRunner(dag: Dag, env: RunEnvironment): DagRunner {
  const quiet = (interval: DataInterval): RunEnvironment => ({ ...env, store: undefined, clock: new VirtualClock(interval.end) });
  return {
    dagId: dag.id,
    dag,
    run: (interval, previous = null, options = {}) =>
      runDagRun(dag, interval, { ...quiet(interval), wallClockShiftMs: options.wallClockShiftMs }, { runType: 'backfill', previous }),
    runMany: (intervals, maxActiveRuns, other, onRunEnd, hooks) =>
      runIntervals(other ?? dag, intervals, { ...env, store: undefined, clock: new VirtualClock(intervals[0]?.end ?? new Date()), ...(hooks ? { hooks: layered(env, hooks) } : {}) }, {
        runType: 'backfill',
        maxActiveRuns,
        ...(onRunEnd ? { onProgress: (_done: number, _total: number, run: DagRunResult) => onRunEnd(run) } : {}),
      }),
    runWith: (other, interval, hooks, previous = null, options = {}) =>
      runDagRun(other, interval, { ...quiet(interval), maxActiveTasks: 1, hooks: layered(env, hooks), wallClockShiftMs: options.wallClockShiftMs }, { runType: 'backfill', previous }),
  };
}

/** The environment's hooks with `extra` on top (extra sees the base members and may wrap them). */
function layered(env: RunEnvironment, extra: (ctx: TaskContext, base: Record<string, unknown>) => Record<string, unknown>): (ctx: TaskContext) => Record<string, unknown> {
  return (ctx) => {
    const own = env.hooks?.(ctx) ?? {};
    return { ...own, ...extra(ctx, own) };
  };
}
