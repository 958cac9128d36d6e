import type { TaskContext } from '../dag/types.ts';
import type { TaskPlan } from './plan.ts';
import type { RunShared } from './run-shared.ts';

/**
 * The downstream tasks a control-flow task skips after it succeeded with `value`, as Airflow
 * 2.8.1's SkipMixin does:
 *
 * - branch (`skip_all_except`): every direct downstream task that is neither followed nor
 *   downstream of a followed task. The ids must be task ids of the DAG (a group id is an error,
 *   as in Airflow 2.8; name the group's first task instead).
 * - short-circuit: nothing on a truthy value (Python's truth); on a falsy one, every downstream
 *   task (`ignoreDownstreamTriggerRules`, the default) or only the direct ones.
 * - latest-only: nothing when the run's clock lies in the interval after the run's (or there is
 *   none), else every direct downstream task.
 *
 * Throws (failing the task) when a branch returns something that is not task ids.
 */
export function controlSkips(shared: RunShared, plan: TaskPlan, ctx: TaskContext, value: unknown): string[] {
  const control = plan.task.control;
  if (!control) return [];
  const direct = plan.downstream.map((i) => shared.plan.tasks[i]!.id);
  switch (control.type) {
    case 'branch': {
      const follow = branchIds(shared, plan, value);
      ctx.log.info(`Following branch ${JSON.stringify([...follow])}`);
      for (const id of [...follow]) for (const d of flatDownstream(shared, shared.plan.byId.get(id)!)) follow.add(d);
      const skip = direct.filter((id) => !follow.has(id));
      ctx.log.info(`Skipping tasks ${JSON.stringify(skip)}`);
      return skip;
    }
    case 'shortCircuit': {
      ctx.log.info(`Condition result is ${JSON.stringify(value) ?? 'undefined'}`);
      if (pythonTruthy(value)) {
        ctx.log.info('Proceeding with downstream tasks...');
        return [];
      }
      const skip = control.ignoreDownstreamTriggerRules ? [...flatDownstream(shared, plan)] : direct;
      ctx.log.info(`Skipping downstream tasks ${JSON.stringify(skip)}`);
      return skip;
    }
    case 'latestOnly': {
      const next = shared.plan.schedule.followingInterval(shared.interval);
      if (!next) {
        ctx.log.info('Last scheduled execution: allowing execution to proceed.');
        return [];
      }
      const now = shared.env.clock.now();
      ctx.log.info(`Checking latest only with left_window: ${next.start.toISOString()} right_window: ${next.end.toISOString()} now: ${now.toISOString()}`);
      // Airflow tests left < now; dagbox's run clock starts exactly at the interval's end, where a real scheduler is a moment later.
      if (next.start.getTime() <= now.getTime() && now.getTime() <= next.end.getTime()) {
        ctx.log.info('Latest, allowing execution to proceed.');
        return [];
      }
      ctx.log.info('Not latest execution, skipping downstream.');
      return direct;
    }
  }
}

function branchIds(shared: RunShared, plan: TaskPlan, value: unknown): Set<string> {
  if (value === null || value === undefined) return new Set();
  const ids = typeof value === 'string' ? [value] : Array.isArray(value) ? value : null;
  if (!ids) {
    throw new Error(`branch "${plan.id}" must return a task id, a list of task ids or null, but returned ${JSON.stringify(value)}`);
  }
  const wrong = ids.filter((id) => typeof id !== 'string');
  if (wrong.length > 0) throw new Error(`branch "${plan.id}" returned ${JSON.stringify(wrong)}, which are not task ids (strings)`);
  const unknown = (ids as string[]).filter((id) => !shared.plan.byId.has(id));
  if (unknown.length > 0) {
    const groups = unknown.map((id) => {
      const roots = [...shared.plan.byId.keys()].filter((t) => t.startsWith(`${id}.`));
      return roots.length > 0 ? ` ("${id}" is a task group: return the id of its first task, e.g. "${roots[0]}", as in Airflow 2.8)` : '';
    });
    throw new Error(`branch "${plan.id}" returned ${JSON.stringify(unknown)}, which are not tasks of DAG "${shared.dagId}"${groups.join('')}`);
  }
  return new Set(ids as string[]);
}

/** Every task downstream of `plan`, transitively (Airflow's get_flat_relative_ids(upstream=False)). */
function flatDownstream(shared: RunShared, plan: TaskPlan): Set<string> {
  const seen = new Set<string>();
  const stack = [...plan.downstream];
  while (stack.length > 0) {
    const t = shared.plan.tasks[stack.pop()!]!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push(...t.downstream);
  }
  return seen;
}

/** Python's truth value of a JSON-like value: false, 0, '', null, undefined, NaN, [] and {} are false. */
export function pythonTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.keys(value).length > 0;
  return Boolean(value);
}
