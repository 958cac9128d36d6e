import type { DataInterval } from '../../dag/types.ts';
import type { DagRunResult } from '../../run/index.ts';
import type { VerifyContext } from '../context.ts';
import type { KeptState } from '../keeper.ts';
import { intervalLabel } from '../labels.ts';
import { describeChanges, noChanges } from '../state.ts';
import type { CheckFailure, StateFingerprint } from '../types.ts';

/** The interval check 3 replays: the middle of the window. */
export function middleInterval(intervals: readonly DataInterval[]): DataInterval {
  return intervals[Math.floor((intervals.length - 1) / 2)]!;
}

/** The outcome of check 3. */
export interface ReplayOutcome {
  readonly failure: CheckFailure | null;
  readonly broken: DagRunResult | null;
  readonly interval: DataInterval;
}

/**
 * Check 3 (replay): after the window ran, re-run a past interval from its middle; the final
 * state must equal the state after the window (`windowState`), whose changed tables are `kept`.
 */
export async function replayCheck(
  ctx: VerifyContext,
  intervals: readonly DataInterval[],
  windowState: StateFingerprint,
  kept: KeptState,
  lastRuns: ReadonlyMap<number, DagRunResult>,
): Promise<ReplayOutcome> {
  const interval = middleInterval(intervals);
  const index = intervals.indexOf(interval);
  const previous = index > 0 ? (lastRuns.get(intervals[index - 1]!.start.getTime()) ?? null) : null;
  const run = await ctx.run('replay', interval, previous);
  if (ctx.verdict(run) === 'broken') return { failure: null, broken: run, interval };
  const changes = ctx.compare(windowState, await ctx.capture());
  if (noChanges(changes)) return { failure: null, broken: null, interval };
  const label = intervalLabel(interval);
  const diff = await ctx.engine.diff(changes, kept, { before: 'after the window', after: `after replaying ${label}` });
  return { failure: { message: `replaying ${label} after the window changed ${describeChanges(changes)}`, interval, diff }, broken: null, interval };
}
