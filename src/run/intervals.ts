import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import { executeRun } from './dag-run.ts';
import { planDag } from './plan.ts';
import type { RunPlan } from './plan.ts';
import type { DagRunResult, RunEnvironment, RunType } from './types.ts';

/** Options of {@link runIntervals}. */
export interface RunIntervalsOptions {
  /** Concurrent runs. Default: the DAG's `maxActiveRuns`, else 1. */
  maxActiveRuns?: number;
  /** Default `backfill`. */
  runType?: RunType;
  /** Called after each run ends, in the order runs end. */
  onProgress?: (done: number, total: number, run: DagRunResult) => void;
  /** The run before the first interval, for dependsOnPast tasks (e.g. from the run store); default none. */
  previous?: DagRunResult | null;
}

/**
 * Run several intervals of a DAG, at most `maxActiveRuns` at once, and return their runs in the
 * order of `intervals`. After `env.signal` aborts no interval starts: the runs in flight end
 * `interrupted` and the intervals that did not start are missing from the result. When the DAG has dependsOnPast tasks, each run waits for the run of the
 * interval before it and looks at it; the intervals must then be given oldest first.
 *
 * ```ts
 * const runs = await runIntervals(dag, intervals, env, { onProgress: (done, total) => console.log(`${done}/${total}`) });
 * ```
 */
export async function runIntervals(dag: Dag, intervals: DataInterval[], env: RunEnvironment, opts: RunIntervalsOptions = {}): Promise<DagRunResult[]> {
  const plan = planDag(dag);
  const limit = activeRunsLimit(dag, opts.maxActiveRuns);
  if (plan.hasDependsOnPast) assertOldestFirst(plan, intervals);
  const pool = new RunPool(plan, intervals, env, opts);
  await Promise.all(Array.from({ length: Math.min(limit, intervals.length) }, () => pool.worker()));
  if (pool.failure) throw pool.failure.error;
  // After a stop request, intervals that never started have no run: they are left out, not failed.
  return pool.results.filter(Boolean);
}

/** Hands intervals to workers in order, and lets dependsOnPast runs wait for the run before them. */
class RunPool {
  readonly results: DagRunResult[] = [];
  failure: { error: unknown } | null = null;
  private next = 0;
  private done = 0;
  private readonly ended: Promise<DagRunResult | null>[] = [];
  private readonly settle: ((run: DagRunResult | null) => void)[] = [];

  constructor(
    private readonly plan: RunPlan,
    private readonly intervals: DataInterval[],
    private readonly env: RunEnvironment,
    private readonly opts: RunIntervalsOptions,
  ) {
    for (let i = 0; i < intervals.length; i++) this.ended.push(new Promise((resolve) => this.settle.push(resolve)));
  }

  async worker(): Promise<void> {
    while (!this.failure && !this.env.signal?.aborted && this.next < this.intervals.length) {
      const i = this.next++;
      try {
        const run = await this.runOne(i);
        this.results[i] = run;
        this.settle[i]!(run);
        this.opts.onProgress?.(++this.done, this.intervals.length, run);
      } catch (error) {
        this.failure ??= { error };
        this.settle[i]!(null);
      }
    }
  }

  private async runOne(i: number): Promise<DagRunResult> {
    const previous = this.plan.hasDependsOnPast ? await this.previousOf(i) : null;
    return executeRun(this.plan, this.intervals[i]!, this.env, { runType: this.opts.runType ?? 'backfill', previous });
  }

  private async previousOf(i: number): Promise<DagRunResult | null> {
    if (i === 0) return this.opts.previous ?? null;
    const previous = await this.ended[i - 1]!;
    if (!previous) throw new Error(`the run before interval ${this.intervals[i]!.start.toISOString()} did not complete, so dependsOnPast cannot be checked`);
    return previous;
  }
}

function activeRunsLimit(dag: Dag, fromOpts: number | undefined): number {
  const value = fromOpts ?? dag.options.maxActiveRuns ?? 1;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`maxActiveRuns for DAG "${dag.id}" is ${String(value)}; expected a whole number of 1 or more`);
  }
  return value;
}

function assertOldestFirst(plan: RunPlan, intervals: DataInterval[]): void {
  for (let i = 1; i < intervals.length; i++) {
    if (intervals[i]!.start.getTime() > intervals[i - 1]!.start.getTime()) continue;
    const ids = plan.tasks.filter((t) => t.dependsOnPast).map((t) => `"${t.id}"`).join(', ');
    throw new Error(
      `DAG "${plan.dag.id}" has dependsOnPast task(s) ${ids}, so its intervals must run oldest first, ` +
        `but ${intervals[i]!.start.toISOString()} comes after ${intervals[i - 1]!.start.toISOString()}; ` +
        'run them in date order (no --run-backwards)',
    );
  }
}
