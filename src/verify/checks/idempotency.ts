import type { DataInterval } from '../../dag/types.ts';
import type { DagRunner } from '../runner.ts';
import { decidesByTime, wallClockFinding, WALL_CLOCK_PROBE, WALL_CLOCK_SHIFT_MS, withWallClockShifted } from '../wall-clock.ts';
import type { DagRunResult } from '../../run/index.ts';
import type { VerifyContext } from '../context.ts';
import { intervalLabel, plural } from '../labels.ts';
import { describeChanges, noChanges } from '../state.ts';
import { orderingHint } from '../hints.ts';
import type { CheckFailure, StateChanges, StateFingerprint } from '../types.ts';

/** Hooks the forward pass calls around each interval's first run (checks 5 and 6 ride along). */
export interface ForwardHooks {
  beforeFirstRun?(interval: DataInterval, state: StateFingerprint): Promise<void>;
  afterFirstRun?(interval: DataInterval, before: StateFingerprint, after: StateFingerprint): Promise<void>;
}

/** What the forward pass leaves behind. */
export interface ForwardPass {
  /** The state after the last interval. */
  readonly state: StateFingerprint;
  /** Idempotency findings, one per interval whose re-run changed something. */
  readonly failures: CheckFailure[];
  /** Intervals checked (re-run) before the pass ended. */
  readonly checked: number;
  /** The run that broke the pass (a task other than a data check failed), if any. */
  readonly broken: DagRunResult | null;
  /** The last run of each interval, by logical date (ms), for dependsOnPast runs later. */
  readonly lastRuns: Map<number, DagRunResult>;
}

/**
 * Run the window oldest first from the current state. With `rerun`, check 1 (idempotency): each
 * interval runs, is fingerprinted, runs again at once and is fingerprinted again; the two
 * fingerprints must be equal. When they differ, the changed tables are kept and the interval runs
 * a third time, so the diff shows what one more run changes (2nd run → 3rd run).
 */
export async function forwardPass(ctx: VerifyContext, intervals: readonly DataInterval[], start: StateFingerprint, rerun: boolean, hooks: ForwardHooks = {}): Promise<ForwardPass> {
  const failures: CheckFailure[] = [];
  const lastRuns = new Map<number, DagRunResult>();
  let state = start;
  let previous: DagRunResult | null = null;
  let checked = 0;
  for (const interval of intervals) {
    await hooks.beforeFirstRun?.(interval, state);
    const first = await ctx.run('first run', interval, previous);
    if (ctx.verdict(first) === 'broken') return { state, failures, checked, broken: first, lastRuns };
    const afterFirst = await ctx.capture();
    await hooks.afterFirstRun?.(interval, state, afterFirst);
    state = afterFirst;
    let last = first;
    if (rerun) {
      const outcome = await rerunAndCompare(ctx, interval, afterFirst, previous, first);
      checked++;
      if (outcome.broken) return { state, failures, checked, broken: outcome.broken, lastRuns };
      if (outcome.failure) failures.push(outcome.failure);
      state = outcome.state;
      last = outcome.run!;
    }
    lastRuns.set(interval.start.getTime(), last);
    previous = last;
  }
  return { state, failures, checked, broken: null, lastRuns };
}

/** The outcome of re-running one interval on top of its own result. */
export interface RerunOutcome {
  readonly state: StateFingerprint;
  readonly failure: CheckFailure | null;
  readonly broken: DagRunResult | null;
  readonly run: DagRunResult | null;
}

/**
 * Re-run `interval` on a state it produced (`afterFirst`) and compare. On a difference, keep the
 * changed tables, run once more and diff the 2nd and 3rd runs: rows are only kept when needed.
 */
export async function rerunAndCompare(ctx: VerifyContext, interval: DataInterval, afterFirst: StateFingerprint, previous: DagRunResult | null, first?: DagRunResult): Promise<RerunOutcome> {
  // A DAG that branches or senses re-runs with the wall clock moved: its decisions must follow the interval.
  const runner = 'runWith' in ctx.runner ? (ctx.runner as DagRunner) : null;
  const dag = runner?.dag ?? null;
  const moved = runner !== null && dag !== null && first !== undefined && decidesByTime(dag);
  const probe = { [WALL_CLOCK_PROBE]: <T>(fn: () => T | Promise<T>) => withWallClockShifted(WALL_CLOCK_SHIFT_MS, async () => fn()) };
  const { run: second, undo } = moved
    ? { run: await runner.runWith(dag, interval, (_c, base) => ({ ...base, ...probe }), previous), undo: async () => {} }
    : await ctx.runReordered('re-run', interval, previous);
  const clockFinding = moved ? wallClockFinding(dag, interval, first, second) : null;
  if (clockFinding) return { state: await ctx.capture(), failure: clockFinding, broken: null, run: second };
  if (ctx.verdict(second) === 'broken') {
    await undo();
    return { state: afterFirst, failure: null, broken: second, run: second };
  }
  const afterSecond = await ctx.capture();
  // Later runs read the rows in the first order again.
  await undo();
  const changes = ctx.compare(afterFirst, afterSecond);
  if (noChanges(changes)) return { state: afterSecond, failure: null, broken: null, run: second };

  const kept = await ctx.keepChanged('after the 2nd run', changes);
  try {
    const third = await ctx.run('re-run (for the diff)', interval, previous);
    const afterThird = await ctx.capture();
    const more = ctx.compare(afterSecond, afterThird);
    const label = intervalLabel(interval);
    if (ctx.verdict(third) !== 'broken' && noChanges(ctx.compare(afterFirst, afterThird))) {
      // The re-run on reordered rows wrote something else, and a run in the first order gives the first result back.
      const diff = await ctx.engine.diff(more, kept, { before: 'after the re-run on reordered rows', after: 'after a run in the first row order' });
      return {
        state: afterThird,
        failure: {
          message: `re-running ${label} on the same rows in another physical order changed ${describeChanges(changes)}`,
          interval,
          diff,
          hints: [orderingHint(changes.tables.map((t) => t.name))],
        },
        broken: null,
        run: third,
      };
    }
    const message = `re-running ${label} changed ${describeChanges(changes)}${sameObjects(changes, more) ? '' : `; the diff below is what a 3rd run changed: ${describeChanges(more)}`}`;
    if (ctx.verdict(third) === 'broken' || noChanges(more)) {
      // The third run changed nothing more: show what the second did, with counts.
      const diff = await ctx.engine.diff(changes, null, { before: 'after the 1st run', after: 'after the 2nd run' });
      return { state: afterThird, failure: { message: `${message} (a 3rd run changed nothing more)`, interval, diff }, broken: null, run: third };
    }
    const diff = await ctx.engine.diff(more, kept, { before: 'after the 2nd run', after: 'after the 3rd run' });
    return { state: afterThird, failure: { message, interval, diff }, broken: null, run: third };
  } finally {
    await ctx.keeper.release(kept);
  }
}

/** Whether two sets of changes name the same tables and objects (so one headline serves both). */
function sameObjects(a: StateChanges, b: StateChanges): boolean {
  const names = (c: StateChanges) => [...c.tables.map((t) => t.name), ...c.objects.map((o) => o.name)].sort().join('\n');
  return names(a) === names(b);
}

/** The idempotency check's one-line summary. */
export function idempotencySummary(checked: number, failures: readonly CheckFailure[]): string {
  if (failures.length === 0) return `${plural(checked, 'interval')} re-run: every re-run left every table and object unchanged`;
  const labels = failures.map((f) => (f.interval ? intervalLabel(f.interval) : '?'));
  const shown = labels.length > 4 ? `${labels.slice(0, 4).join(', ')}, ...` : labels.join(', ');
  return `${failures.length} of ${plural(checked, 'interval')} changed the tables when re-run (${shown})`;
}
