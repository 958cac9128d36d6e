import type { DataInterval, TaskContext } from '../../dag/types.ts';
import { instrumentDag } from '../instrument.ts';
import { Lockstep, lockstepHooks } from '../lockstep.ts';
import type { DagRunResult } from '../../run/index.ts';
import { inScope } from '../../shared/task-scope.ts';
import type { Snapshot } from '../../snapshot/index.ts';
import type { VerifyContext } from '../context.ts';
import { concurrencyHint } from '../hints.ts';
import type { KeptState } from '../keeper.ts';
import { intervalLabel } from '../labels.ts';
import type { DagRunner } from '../runner.ts';
import { describeChanges, noChanges } from '../state.ts';
import type { CheckFailure, StateFingerprint } from '../types.ts';

/** The step name of the concurrent replay's runs (the runs check leaves them to this check). */
export const CONCURRENT_STEP = 'concurrent window';

/** The outcome of the concurrency check. */
export interface ConcurrencyOutcome {
  readonly failure: CheckFailure | null;
  /** Runs that failed only when run at once. */
  readonly brokenRuns: number;
}

/**
 * The concurrency check (check 2b): restore the fixtures, run the window's first interval alone
 * (a deployed DAG's tables exist before a backfill starts; two runs racing to create them is not
 * what this check looks for), then the rest in date order with `maxActiveRuns` runs at once, as
 * Airflow's scheduler starts a DAG's queued runs, oldest first; then compare
 * with the state the window left run one at a time (`serial`, whose changed tables are `kept`).
 * Overlapping runs start each task together and send their SQL statement by statement in turn
 * ({@link Lockstep}), so a collision shows whatever the machine's timing.
 * Runs that fail only when they overlap are a failure of this check, not a broken pipeline: they
 * share a table, an object or a name that each run takes for its own.
 */
export async function concurrencyCheck(
  ctx: VerifyContext,
  fixtures: Snapshot | null,
  intervals: readonly DataInterval[],
  serial: StateFingerprint,
  kept: KeptState,
  maxActiveRuns: number,
): Promise<ConcurrencyOutcome> {
  await ctx.restore(fixtures, [kept]);
  const [first, ...rest] = intervals;
  const n = Math.min(maxActiveRuns, rest.length);
  const step = `${CONCURRENT_STEP} (${n} at once)`;
  const alone = await ctx.runner.run(first!);
  ctx.record(`${CONCURRENT_STEP} (first interval alone)`, [alone]);
  let runs: DagRunResult[] = [alone];
  if (ctx.verdict(alone) !== 'broken') {
    let overlapping: DagRunResult[];
    await warmPools(ctx, 2 * n);
    if ('runMany' in ctx.runner) {
      const runner = ctx.runner as DagRunner;
      const barrier = new TaskBarrier(n);
      const lockstep = new Lockstep(n);
      overlapping = await inScope({ check: step }, () => runner.runMany(
        rest,
        maxActiveRuns,
        instrumentDag(runner.dag, (tctx, body) => barrier.enter(tctx, body)),
        (run) => {
          barrier.end(run.runId);
          lockstep.end(run.runId);
        },
        (tctx, base) => lockstepHooks(lockstep, tctx, base),
      ));
    } else overlapping = await Promise.all(rest.map((i) => ctx.runner.run(i)));
    ctx.record(step, overlapping);
    runs = [alone, ...overlapping];
  }
  const broken = runs.filter((r) => ctx.verdict(r) === 'broken');
  if (broken.length > 0) {
    const lines = broken.map((r) => `${intervalLabel(r.interval)}: ${runError(r)}`);
    const hint = concurrencyHint(n, maxActiveRuns, broken.map((r) => runError(r)));
    return {
      brokenRuns: broken.length,
      failure: {
        message: `with ${n} runs at once, ${broken.length} run(s) failed that succeed one at a time: ${lines.join('; ')}`,
        hints: [hint],
        interval: broken[0]!.interval,
        ...(failedTask(broken[0]!) ? { taskId: failedTask(broken[0]!)! } : {}),
      },
    };
  }
  const changes = ctx.compare(serial, await ctx.capture());
  if (noChanges(changes)) return { failure: null, brokenRuns: 0 };
  const diff = await ctx.engine.diff(changes, kept, { before: 'window one run at a time', after: `window ${n} runs at once` });
  return {
    brokenRuns: 0,
    failure: {
      message: `running the window ${n} at a time left other tables than one at a time: ${describeChanges(changes)}`,
      hints: [concurrencyHint(n, maxActiveRuns, [], diff.tables.map((t) => t.table))],
      diff,
    },
  };
}

/**
 * Starts each task of the first `size` overlapping runs at the same moment: a task waits until the
 * same task of every other run of the group is ready too (or that run ended without reaching it).
 * Runs that merely overlap in time often finish a short task before the next one starts; tasks
 * started together are what Airflow's workers do when a backfill queues several runs, and what
 * shows a name two runs share.
 */
class TaskBarrier {
  private readonly waiting = new Map<string, { runs: Set<string>; release: (() => void)[] }>();
  private readonly ended = new Set<string>();
  private readonly group = new Set<string>();

  constructor(private readonly size: number) {}

  async enter(ctx: TaskContext, body: () => Promise<unknown>): Promise<unknown> {
    const run = ctx.runId;
    if (this.group.size < this.size) this.group.add(run);
    if (this.group.has(run)) {
      const slot = this.waiting.get(ctx.taskId) ?? { runs: new Set<string>(), release: [] };
      this.waiting.set(ctx.taskId, slot);
      slot.runs.add(run);
      await new Promise<void>((resolve) => {
        slot.release.push(resolve);
        this.settle();
        // A guard, not a schedule: a run held up elsewhere must not hold the others forever.
        setTimeout(resolve, BARRIER_GUARD_MS).unref();
      });
    }
    return body();
  }

  /** A run of the group ended: tasks waiting for it go. */
  end(run: string): void {
    this.ended.add(run);
    this.settle();
  }

  private settle(): void {
    const expected = this.group.size < this.size ? this.size : [...this.group].filter((r) => !this.ended.has(r)).length;
    for (const slot of this.waiting.values()) {
      const present = [...slot.runs].filter((r) => !this.ended.has(r)).length;
      if (present >= expected) for (const r of slot.release.splice(0)) r();
    }
  }
}

/**
 * Open `count` connections in each pool before the runs start together: a run that has to open a
 * connection while the other runs its statements falls ~15 ms behind, which is enough for two
 * short tasks never to overlap, though on Airflow's long-lived workers they would.
 */
async function warmPools(ctx: VerifyContext, count: number): Promise<void> {
  const pg = ctx.db.postgres?.pool();
  const mysql = ctx.db.mysql?.pool;
  const pgLimit = Math.min(count, (pg as { options?: { max?: number } } | undefined)?.options?.max ?? count);
  const mysqlLimit = Math.min(count, (mysql as unknown as { config?: { connectionLimit?: number } } | undefined)?.config?.connectionLimit ?? count);
  await Promise.all([
    pg ? Promise.all(Array.from({ length: pgLimit }, () => pg.connect())).then((clients) => clients.forEach((c) => c.release())) : null,
    mysql ? Promise.all(Array.from({ length: mysqlLimit }, () => mysql.getConnection())).then((conns) => conns.forEach((c) => c.release())) : null,
  ]);
}

/** How long a task of an overlapping run waits at most for its peers. */
const BARRIER_GUARD_MS = 5000;

function failedTask(run: DagRunResult): string | null {
  return run.tasks.find((t) => t.state === 'failed')?.taskId ?? null;
}

function runError(run: DagRunResult): string {
  const failed = run.tasks.find((t) => t.state === 'failed');
  return failed ? `task ${failed.taskId}: ${(failed.error ?? 'no error message').split('\n')[0]}` : (run.error ?? run.state);
}
