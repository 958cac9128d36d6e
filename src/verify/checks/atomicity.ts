import type { Dag } from '../../dag/dag.ts';
import type { DataInterval, TaskContext } from '../../dag/types.ts';
import type { Snapshot } from '../../snapshot/index.ts';
import { inScope } from '../../shared/task-scope.ts';
import type { VerifyContext } from '../context.ts';
import { describePoint, FaultTracker, faultHooks, InjectedFault, type FaultPoint, type TaskOps } from '../faults.ts';
import { instrumentDag } from '../instrument.ts';
import type { KeptState } from '../keeper.ts';
import type { DagRunner } from '../runner.ts';
import { describeChanges, noChanges } from '../state.ts';
import type { CheckFailure, StateChanges, StateFingerprint } from '../types.ts';

/** At most this many faults are injected into one task. */
export const MAX_POINTS_PER_TASK = 4;

/** The outcome of check 4. */
export interface AtomicityOutcome {
  readonly failures: CheckFailure[];
  /** Fault points tried. */
  readonly checked: number;
  /** Tasks that write through the session's services. */
  readonly writers: string[];
  /** Why nothing was injected, when nothing was: the reference run failed (not run), or no task can leave half a write (not applicable). */
  readonly skipped: { readonly status: 'not-run' | 'not-applicable'; readonly why: string } | null;
}

/** What one injected run observed around the target task. */
interface Injection {
  fired: boolean;
  swallowed: boolean;
  /** The task never settled after the failure (it hung until its timeout). */
  hung: boolean;
  /** The failure escaped as an unhandled promise rejection instead of failing the task. */
  escaped: boolean;
  before: StateFingerprint | null;
  after: StateFingerprint | null;
  kept: KeptState | null;
}

/**
 * Check 4 (atomicity under failure): for each task that writes, inject failures (at its
 * `ctx.faultPoint` sites, "after some rows", and in place of its writes, whose connection is
 * killed) and prove that the state right after the failure equals the state right before the task.
 *
 * A reference run of `interval` (tasks one at a time) records each task's faultPoint
 * calls and writes through ctx.postgres()/ctx.mysql()/ctx.s3(). Each injection then restores the
 * state of before that run and runs it again, failing the chosen point; tasks after the failure
 * do nothing. A difference is reproduced once more with the touched tables kept before the
 * task, for the row-level diff.
 */
export async function atomicityCheck(ctx: VerifyContext, runner: DagRunner, interval: DataInterval): Promise<AtomicityOutcome> {
  const start = await ctx.session.snapshot('dgbx-verify-faults');
  try {
    const recorded = new Map<string, TaskOps>();
    const reference = await runner.runWith(instrumentDag(runner.dag, (_ctx, body) => body()), interval, (tctx, base) => {
      const tracker = new FaultTracker(tctx.taskId, null);
      recorded.set(tctx.taskId, tracker.ops);
      return faultHooks(tracker, base);
    });
    ctx.record('fault reference run', [reference]);
    if (ctx.verdict(reference) === 'broken') return { failures: [], checked: 0, writers: [], skipped: { status: 'not-run', why: `the reference run of ${interval.start.toISOString()} failed, so no failure could be injected` } };
    const plan = [...recorded.values()].map((ops) => ({ taskId: ops.taskId, points: choosePoints(ops) })).filter((p) => p.points.length > 0);
    const writers = [...recorded.values()].filter((o) => o.writes.length > 0 || o.sites.size > 0).map((o) => o.taskId);
    if (plan.length === 0) {
      const why = writers.length === 0 ? 'no task writes through the session services or calls ctx.faultPoint' : `every writing task (${writers.join(', ')}) makes a single write, which cannot be left half done`;
      return { failures: [], checked: 0, writers, skipped: { status: 'not-applicable', why } };
    }
    const failures: CheckFailure[] = [];
    let checked = 0;
    for (const { taskId, points } of plan) {
      for (const point of points) {
        await ctx.session.restore(start);
        const seen = await inject(ctx, runner, interval, taskId, point, null);
        if (!seen.fired) continue;
        checked++;
        const failure = await judge(ctx, runner, interval, start, taskId, point, seen);
        if (failure) failures.push(failure);
      }
    }
    if (checked === 0) {
      const why = `none of the ${plan.reduce((n, p) => n + p.points.length, 0)} planned failure(s) in ${plan.map((p) => p.taskId).join(', ')} was reached when the interval ran again`;
      return { failures, checked, writers, skipped: { status: 'not-run', why } };
    }
    return { failures, checked, writers, skipped: null };
  } finally {
    await ctx.session.dropSnapshot(start);
  }
}

/** Faults to try in one task: each faultPoint site at its middle call, and up to 3 of its writes after the first. */
export function choosePoints(ops: TaskOps): FaultPoint[] {
  const points: FaultPoint[] = [];
  for (const [site, { count, rows }] of ops.sites) {
    const occurrence = Math.ceil(count / 2);
    const r = rows[occurrence - 1];
    points.push({ kind: 'site', site, occurrence, ...(r !== undefined ? { rows: r } : {}) });
  }
  const n = ops.writes.length;
  // A failure before the first write leaves nothing behind: start at the second.
  const indexes = n < 2 ? [] : [...new Set([2, Math.ceil((2 + n) / 2), n])];
  for (const index of indexes) points.push({ kind: 'write', index, what: ops.writes[index - 1]! });
  return points.slice(0, MAX_POINTS_PER_TASK);
}

async function judge(
  ctx: VerifyContext,
  runner: DagRunner,
  interval: DataInterval,
  start: Snapshot | null,
  taskId: string,
  point: FaultPoint,
  seen: Injection,
): Promise<CheckFailure | null> {
  const where = `task "${taskId}" failed ${describePoint(point)}`;
  if (seen.hung || seen.escaped) {
    const how = seen.hung ? 'never finished (it hung until its executionTimeout)' : 'let the error escape as an unhandled promise rejection';
    return { taskId, interval, message: `${where} and ${how}: the task's code loses errors from its writes, so a real failure would hang or crash the worker` };
  }
  const changes = ctx.compare(seen.before!, seen.after!, true);
  if (seen.swallowed && noChanges(changes)) {
    return { taskId, interval, message: `${where}, but caught the error and reported success: a task must fail when its load fails` };
  }
  if (noChanges(changes)) return null;
  // Reproduce with the touched tables kept right before the task, for the row-level diff.
  await ctx.session.restore(start);
  const again = await inject(ctx, runner, interval, taskId, point, changes);
  try {
    const recheck = again.fired ? ctx.compare(again.before!, again.after!, true) : changes;
    const diff = again.kept ? await ctx.engine.diff(recheck, again.kept, { before: `before task ${taskId}`, after: 'after it failed' }) : undefined;
    const swallowed = seen.swallowed ? ' (and the task caught the error and reported success)' : '';
    return { taskId, interval, message: `${where} and left a partial result${swallowed}: ${describeChanges(changes)}`, ...(diff ? { diff } : {}) };
  } finally {
    await ctx.keeper.release(again.kept);
  }
}

/** Run the interval with one fault in `taskId`; fingerprint right before the task and right after it failed. */
async function inject(ctx: VerifyContext, runner: DagRunner, interval: DataInterval, taskId: string, point: FaultPoint, keep: StateChanges | null): Promise<Injection> {
  const seen: Injection = { fired: false, swallowed: false, hung: false, escaped: false, before: null, after: null, kept: null };
  const trackers = new WeakMap<TaskContext, FaultTracker>();
  const all: FaultTracker[] = [];
  let done = false;
  const wrapped: Dag = instrumentDag(
    runner.dag,
    async (tctx, body) => {
      if (done) return undefined;
      const tracker = trackers.get(tctx);
      if (tctx.taskId === taskId) {
        seen.before = await ctx.capture();
        if (keep) {
          const names = new Set([...keep.tables.map((t) => t.name), ...keep.objects.map((o) => o.name)]);
          const tables = [...seen.before.tables.values()].filter((t) => names.has(t.name));
          const objects = [...seen.before.objects.entries()].filter(([n]) => names.has(n)).map(([, o]) => o);
          seen.kept = await ctx.keeper.keep(`before task ${taskId}`, tables, objects);
        }
      }
      let succeeded = false;
      try {
        const value = await body();
        succeeded = true;
        return value;
      } finally {
        tracker?.closeLeaked();
        if (tracker?.fired) {
          seen.fired = true;
          seen.swallowed = succeeded;
          seen.after = await ctx.capture();
          done = true;
        }
      }
    },
    (task) => (task.id === taskId && (task.args.executionTimeout ?? runner.dag.options.defaultArgs?.executionTimeout) === undefined ? { executionTimeout: INJECTED_RUN_TIMEOUT } : {}),
  );
  const escaped: unknown[] = [];
  const onUnhandled = (reason: unknown) => void escaped.push(reason);
  // A failure injected where the task's code does not expect one may surface as an unhandled
  // rejection (a stream callback that drops errors): record it instead of ending the process.
  process.on('unhandledRejection', onUnhandled);
  try {
    const run = await inScope({ check: `atomicity (fault in ${taskId} ${describePoint(point)})` }, () => runner.runWith(wrapped, interval, (tctx, base) => {
      const tracker = new FaultTracker(tctx.taskId, tctx.taskId === taskId ? point : null);
      trackers.set(tctx, tracker);
      all.push(tracker);
      return faultHooks(tracker, base);
    }));
    ctx.record(`fault in ${taskId}`, [run]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    for (const t of all) t.closeLeaked();
  }
  const stray = escaped.find((e) => !(e instanceof InjectedFault));
  if (stray) throw stray;
  seen.escaped = escaped.length > 0;
  if (!seen.fired && all.some((t) => t.fired)) {
    // The task never returned after the failure: judge the state the run left.
    seen.fired = true;
    seen.hung = true;
    seen.after = await ctx.capture();
  }
  return seen;
}

/** executionTimeout of a task with none, in a run with an injected failure: a task that hangs on it must end. */
const INJECTED_RUN_TIMEOUT = '20s';
