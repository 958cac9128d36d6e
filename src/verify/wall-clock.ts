import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import type { DagRunResult } from '../run/index.ts';
import { intervalLabel } from './labels.ts';
import type { CheckFailure } from './types.ts';
export { withWallClockShifted, WALL_CLOCK_PROBE } from '../shared/wall-clock.ts';

/** How far the wall clock moves for the re-run: over a year and some hours, so dates, weekdays and hours all change. */
export const WALL_CLOCK_SHIFT_MS = (400 * 24 + 7) * 3_600_000;

/** True when the DAG has tasks whose outcome decides what else runs: branches, short-circuits, latest-only, sensors. */
export function decidesByTime(dag: Dag): boolean {
  return [...dag.tasks.values()].some((t) => t.control !== undefined || /sensor/i.test(t.kind));
}

/**
 * Compare the task states of an interval's run with those of its re-run under a moved wall
 * clock: a branch, short-circuit or sensor that decided otherwise reads the wall clock, so the
 * DAG's result depends on when it runs rather than on its interval. Returns the finding, or null.
 */
export function wallClockFinding(dag: Dag, interval: DataInterval, first: DagRunResult, moved: DagRunResult): CheckFailure | null {
  const key = (t: { taskId: string; mapIndex?: number }) => (t.mapIndex === undefined ? t.taskId : `${t.taskId}[${t.mapIndex}]`);
  const before = new Map(first.tasks.map((t) => [key(t), t.state]));
  const differing = moved.tasks.filter((t) => before.get(key(t)) !== t.state).map(key);
  if (differing.length === 0) return null;
  const deciders = [...dag.tasks.values()].filter((t) => t.control !== undefined || /sensor/i.test(t.kind)).map((t) => `${t.kind} "${t.id}"`);
  const changes = differing.slice(0, 5).map((id) => `${id} ${before.get(id) ?? 'absent'} → ${moved.tasks.find((t) => key(t) === id)?.state ?? 'absent'}`);
  return {
    message:
      `re-running ${intervalLabel(interval)} with the wall clock moved ${Math.round(WALL_CLOCK_SHIFT_MS / 86_400_000)} days changed which tasks ran ` +
      `(${changes.join(', ')}${differing.length > 5 ? ', ...' : ''}): ${deciders.join(', ') || 'a task'} decides by the machine's clock, not by the interval\n` +
      '  hint: decide from ctx.ds, ctx.logicalDate or ctx.dataIntervalStart / ctx.dataIntervalEnd; for "now" use ctx.now(), ' +
      "the run's clock (simulated by dagbox, the scheduler's time in production), never Date.now() or new Date()",
    interval,
  };
}
