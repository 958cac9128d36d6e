import type { TaskArgs } from './types.ts';
import { didYouMean } from '../shared/suggest.ts';
import { isTriggerRule, TRIGGER_RULE_ALIASES, TRIGGER_RULES } from './trigger-rules.ts';

/**
 * What is wrong with a task's arguments (DAG defaults merged), as the end of a sentence starting
 * with the task's name, or null. Shared by load-time validation and planning.
 */
export function taskArgsProblem(args: TaskArgs): string | null {
  const rule = args.triggerRule;
  if (rule !== undefined && !isTriggerRule(rule) && !(typeof rule === 'string' && rule in TRIGGER_RULE_ALIASES)) {
    return `has trigger rule ${JSON.stringify(rule)}${didYouMean(String(rule), TRIGGER_RULES)}; expected one of ${TRIGGER_RULES.join(', ')}`;
  }
  if (args.weightRule !== undefined && !['downstream', 'upstream', 'absolute'].includes(args.weightRule)) {
    return `has weightRule ${JSON.stringify(args.weightRule)}; expected downstream, upstream or absolute`;
  }
  for (const key of ['priorityWeight'] as const) {
    const v = args[key];
    if (v !== undefined && !Number.isInteger(v)) return `has ${key} ${JSON.stringify(v)}; expected a whole number`;
  }
  for (const key of ['poolSlots', 'maxActiveTisPerDag'] as const) {
    const v = args[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) return `has ${key} ${JSON.stringify(v)}; expected a whole number of 1 or more`;
  }
  return null;
}
