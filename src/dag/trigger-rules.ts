import type { TaskState, TriggerRule } from './types.ts';

/** Counts of a task's upstream task instances by final state (a mapped upstream counts once per map index). */
export interface UpstreamTally {
  success: number;
  skipped: number;
  failed: number;
  upstreamFailed: number;
  /** Upstream task instances in any final state. */
  done: number;
}

/** What the scheduler does with a task given its upstream tally. */
export type TriggerDecision = 'run' | 'wait' | 'skipped' | 'upstream_failed';

/** Every trigger rule of Airflow 2.8 that dagbox understands (the setup/teardown rules are not among them). */
export const TRIGGER_RULES: readonly TriggerRule[] = [
  'all_success',
  'all_failed',
  'all_done',
  'all_skipped',
  'one_success',
  'one_failed',
  'one_done',
  'none_failed',
  'none_failed_min_one_success',
  'none_skipped',
  'always',
];

/** Airflow 2's deprecated rule names, read as the rules they became (with Airflow's deprecation warning). */
export const TRIGGER_RULE_ALIASES: Readonly<Record<string, TriggerRule>> = {
  dummy: 'always',
  none_failed_or_skipped: 'none_failed_min_one_success',
};

/** The rule a name means: itself, or what a deprecated Airflow name became. */
export function canonicalTriggerRule(rule: string): TriggerRule {
  return TRIGGER_RULE_ALIASES[rule] ?? (rule as TriggerRule);
}

/** True when `value` names a trigger rule dagbox runs. */
export function isTriggerRule(value: unknown): value is TriggerRule {
  return typeof value === 'string' && (TRIGGER_RULES as readonly string[]).includes(value);
}

/** A tally with every count at zero. */
export function emptyTally(): UpstreamTally {
  return { success: 0, skipped: 0, failed: 0, upstreamFailed: 0, done: 0 };
}

/** Count one upstream task instance that reached the final state `state`. */
export function countUpstream(tally: UpstreamTally, state: TaskState): void {
  if (state === 'success') tally.success++;
  else if (state === 'skipped') tally.skipped++;
  else if (state === 'failed') tally.failed++;
  else if (state === 'upstream_failed') tally.upstreamFailed++;
  else return;
  tally.done++;
}

/**
 * Airflow 2.8.1's TriggerRuleDep with `flag_upstream_failed` (as the scheduler and `airflow dags
 * test` evaluate it): first the state a rule sets before its task can run (skipped or
 * upstream_failed), then whether the task may run. It decides as soon as the outcome is certain.
 *
 * | rule | runs when | skipped when | upstream_failed when |
 * | --- | --- | --- | --- |
 * | all_success | every upstream succeeded | one skipped | one failed / upstream_failed |
 * | all_failed | every upstream failed or upstream_failed | one succeeded or skipped | - |
 * | all_done | every upstream is done | - | - |
 * | all_skipped | every upstream skipped | one succeeded, failed or upstream_failed | - |
 * | one_success | one succeeded | all done and all skipped | all done, none succeeded |
 * | one_failed | one failed or upstream_failed | all done, none failed | - |
 * | one_done | one succeeded or failed | all done, none succeeded or failed | - |
 * | none_failed | all done, none failed / upstream_failed | - | one failed / upstream_failed |
 * | none_failed_min_one_success | all done, none failed, not all skipped | all skipped | one failed / upstream_failed |
 * | none_skipped | all done, none skipped | one skipped | - |
 * | always | at once, without waiting for upstream | - | - |
 *
 * A task without upstream tasks always runs, as in Airflow.
 */
export function evaluateTriggerRule(rule: TriggerRule, tally: UpstreamTally, upstreamCount: number): TriggerDecision {
  if (upstreamCount === 0 || rule === 'always') return 'run';
  const { success, skipped, failed, upstreamFailed, done } = tally;
  const allDone = done >= upstreamCount;
  const anyFailed = failed + upstreamFailed > 0;
  switch (rule) {
    case 'all_success':
      if (anyFailed) return 'upstream_failed';
      if (skipped > 0) return 'skipped';
      return success >= upstreamCount ? 'run' : 'wait';
    case 'all_failed':
      if (success > 0 || skipped > 0) return 'skipped';
      return failed + upstreamFailed >= upstreamCount ? 'run' : 'wait';
    case 'all_done':
      return allDone ? 'run' : 'wait';
    case 'all_skipped':
      if (success > 0 || anyFailed) return 'skipped';
      return skipped >= upstreamCount ? 'run' : 'wait';
    case 'one_success':
      if (success > 0) return 'run';
      if (allDone) return done === skipped ? 'skipped' : 'upstream_failed';
      return 'wait';
    case 'one_failed':
      if (anyFailed) return 'run';
      return allDone ? 'skipped' : 'wait';
    case 'one_done':
      if (success + failed > 0) return 'run';
      return allDone ? 'skipped' : 'wait';
    case 'none_failed':
      if (anyFailed) return 'upstream_failed';
      return allDone ? 'run' : 'wait';
    case 'none_failed_min_one_success':
      if (anyFailed) return 'upstream_failed';
      if (skipped >= upstreamCount) return 'skipped';
      return allDone ? 'run' : 'wait';
    case 'none_skipped':
      if (skipped > 0) return 'skipped';
      return allDone ? 'run' : 'wait';
    default:
      throw new Error(`unknown trigger rule "${String(rule)}"; expected one of ${TRIGGER_RULES.join(', ')}`);
  }
}
