import type { TaskState, TriggerRule } from '../dag/types.ts';

/** Counts of a task's upstream tasks by final state. */
export interface UpstreamTally {
  success: number;
  skipped: number;
  failed: number;
  upstreamFailed: number;
  /** Upstream tasks in any final state. */
  done: number;
}

/** What the scheduler does with a task given its upstream tally. */
export type TriggerDecision = 'run' | 'wait' | 'skipped' | 'upstream_failed';

/** The trigger rules dagbox understands. */
export const TRIGGER_RULES: readonly TriggerRule[] = ['all_success', 'all_done', 'one_failed', 'none_failed'];

/** A tally with every count at zero. */
export function emptyTally(): UpstreamTally {
  return { success: 0, skipped: 0, failed: 0, upstreamFailed: 0, done: 0 };
}

/** Count one upstream task that reached the final state `state`. */
export function countUpstream(tally: UpstreamTally, state: TaskState): void {
  if (state === 'success') tally.success++;
  else if (state === 'skipped') tally.skipped++;
  else if (state === 'failed') tally.failed++;
  else if (state === 'upstream_failed') tally.upstreamFailed++;
  else return;
  tally.done++;
}

/**
 * Airflow's trigger rule evaluation (TriggerRuleDep with flag_upstream_failed): decides as soon
 * as the outcome is certain, without waiting for every upstream task.
 *
 * - all_success: runs when every upstream succeeded; upstream_failed as soon as one failed or
 *   is upstream_failed; skipped as soon as one was skipped.
 * - none_failed: runs when every upstream succeeded or was skipped; upstream_failed as soon as one failed.
 * - one_failed: runs as soon as one upstream failed or is upstream_failed; skipped when all are
 *   done and none failed.
 * - all_done: runs when every upstream is done, whatever its state.
 *
 * A task without upstream tasks always runs, as in Airflow.
 */
export function evaluateTriggerRule(rule: TriggerRule, tally: UpstreamTally, upstreamCount: number): TriggerDecision {
  if (upstreamCount === 0) return 'run';
  const allDone = tally.done >= upstreamCount;
  const anyFailed = tally.failed + tally.upstreamFailed > 0;
  switch (rule) {
    case 'all_success':
      if (anyFailed) return 'upstream_failed';
      if (tally.skipped > 0) return 'skipped';
      return tally.success >= upstreamCount ? 'run' : 'wait';
    case 'none_failed':
      if (anyFailed) return 'upstream_failed';
      return allDone ? 'run' : 'wait';
    case 'one_failed':
      if (anyFailed) return 'run';
      return allDone ? 'skipped' : 'wait';
    case 'all_done':
      return allDone ? 'run' : 'wait';
  }
}
