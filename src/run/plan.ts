import type { Dag, Task } from '../dag/dag.ts';
import type { Duration, TaskArgs, TriggerRule } from '../dag/types.ts';
import { didYouMean } from '../shared/suggest.ts';
import { compileSchedule, parseDuration } from '../schedule/index.ts';
import type { CompiledSchedule } from '../schedule/index.ts';
import { scheduleSpecOf } from './schedule-spec.ts';
import { isXComArg } from '../dag/dag.ts';
import { DEFAULT_POOL } from './slots.ts';
import { taskArgsProblem } from '../dag/task-args.ts';
import { canonicalTriggerRule } from '../dag/trigger-rules.ts';

/** Airflow's default retry_delay: 5 minutes. */
export const DEFAULT_RETRY_DELAY_MS = 5 * 60_000;
/** Default bound on concurrently running tasks of one run (Airflow's max_active_tasks default is 16). */
export const DEFAULT_MAX_ACTIVE_TASKS = 16;

/** A task with its arguments resolved (DAG defaults merged, durations parsed) and its edges as indexes. */
export interface TaskPlan {
  index: number;
  id: string;
  task: Task;
  args: TaskArgs;
  triggerRule: TriggerRule;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number | null;
  dependsOnPast: boolean;
  /** Effective priority: priorityWeight summed by the weight rule (Airflow's priority_weight_total). */
  priority: number;
  pool: string;
  poolSlots: number;
  maxActiveTisPerDag: number | undefined;
  /** The task is mapped (`.expand()`): its instances are made at run time. */
  mapped: boolean;
  /** A downstream task expands over this task's output, so the output must be a list or an object. */
  feedsMapping: boolean;
  upstream: number[];
  downstream: number[];
  /** Upstream ids that name no task of the DAG (an unvalidated DAG); such a task never runs. */
  unknownUpstream: string[];
}

/** A DAG prepared for running many times: computed once per `runIntervals`, not per run. */
export interface RunPlan {
  dag: Dag;
  tasks: TaskPlan[];
  byId: Map<string, TaskPlan>;
  hasDependsOnPast: boolean;
  /** The DAG's schedule, compiled once: prev_ds and next_ds of every run come from it. */
  schedule: CompiledSchedule;
}

/** Resolve a DAG into a run plan. Throws a sentence naming the task when an argument is invalid. */
export function planDag(dag: Dag): RunPlan {
  assertResolved(dag);
  const tasks = [...dag.tasks.values()].map((task, index) => planTask(dag, task, index));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const plan of tasks) {
    for (const id of plan.task.upstream) {
      const up = byId.get(id);
      if (up) plan.upstream.push(up.index);
      else plan.unknownUpstream.push(id);
    }
    for (const id of plan.task.downstream) {
      const down = byId.get(id);
      if (down) plan.downstream.push(down.index);
    }
  }
  assignPriorities(tasks);
  for (const plan of tasks) {
    for (const value of Object.values(plan.task.mapped ?? {})) {
      if (isXComArg(value)) {
        const source = byId.get(value.task.id);
        if (source) source.feedsMapping = true;
      }
    }
  }
  return { dag, tasks, byId, hasDependsOnPast: tasks.some((t) => t.dependsOnPast), schedule: compileSchedule(scheduleSpecOf(dag)) };
}

/**
 * Airflow's weight rules: `downstream` adds every downstream task's weight, `upstream` every
 * upstream's, `absolute` none. Computed only when some task sets priorityWeight or weightRule
 * (the closures cost O(tasks x edges)); otherwise every task has priority 0 and ready tasks
 * start in the order they became ready.
 */
function assignPriorities(tasks: TaskPlan[]): void {
  if (!tasks.some((t) => t.args.priorityWeight !== undefined || t.args.weightRule !== undefined)) return;
  const closure = (start: TaskPlan, edges: 'upstream' | 'downstream'): Set<number> => {
    const seen = new Set<number>();
    const stack = [...start[edges]];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (seen.has(i)) continue;
      seen.add(i);
      stack.push(...tasks[i]![edges]);
    }
    return seen;
  };
  const weight = (t: TaskPlan) => t.args.priorityWeight ?? 1;
  for (const t of tasks) {
    const rule = t.args.weightRule ?? 'downstream';
    if (rule === 'absolute') t.priority = weight(t);
    else t.priority = weight(t) + [...closure(t, rule)].reduce((sum, i) => sum + weight(tasks[i]!), 0);
  }
}

/** Edges to unknown ids or other DAGs are dropped by `finalise`; running without them would ignore a dependency. */
function assertResolved(dag: Dag): void {
  const unresolved = dag.finalise();
  if (unresolved.length === 0) return;
  const name = (ref: (typeof unresolved)[number]['from']) =>
    typeof ref === 'string' ? ref : ref.dag === dag ? ref.id : `${ref.id} of DAG ${ref.dag.id}`;
  const edges = unresolved.map((e) => `"${name(e.from)}" -> "${name(e.to)}"`).join(', ');
  throw new Error(
    `DAG "${dag.id}" has dependencies on tasks it does not contain (${edges}), so it cannot run; ` +
      'fix them (`dagbox dags list` shows the load errors)',
  );
}

function planTask(dag: Dag, task: Task, index: number): TaskPlan {
  const args: TaskArgs = { ...dag.options.defaultArgs, ...task.args };
  const where = `task "${task.id}" of DAG "${dag.id}"`;
  const triggerRule = canonicalTriggerRule(args.triggerRule ?? 'all_success');
  const problem = taskArgsProblem(args);
  if (problem) throw new Error(`${where} ${problem}`);
  const retries = args.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new Error(`${where} has retries ${String(retries)}; expected a whole number of 0 or more`);
  }
  return {
    index,
    id: task.id,
    task,
    args,
    triggerRule,
    retries,
    retryDelayMs: args.retryDelay === undefined ? DEFAULT_RETRY_DELAY_MS : duration(args.retryDelay, where, 'retryDelay'),
    timeoutMs: args.executionTimeout === undefined ? null : duration(args.executionTimeout, where, 'executionTimeout'),
    dependsOnPast: args.dependsOnPast ?? false,
    priority: 0,
    pool: args.pool ?? DEFAULT_POOL,
    poolSlots: args.poolSlots ?? 1,
    maxActiveTisPerDag: args.maxActiveTisPerDag,
    mapped: task.mapped !== undefined,
    feedsMapping: false,
    upstream: [],
    downstream: [],
    unknownUpstream: [],
  };
}

function duration(value: Duration, where: string, name: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new Error(`${where} has an invalid ${name}: ${(error as Error).message}`, { cause: error });
  }
}

/** The run's task parallelism: the environment's, else the DAG's, else 16. */
export function maxActiveTasks(dag: Dag, fromEnv: number | undefined): number {
  const value = fromEnv ?? dag.options.maxActiveTasks ?? DEFAULT_MAX_ACTIVE_TASKS;
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`maxActiveTasks of DAG "${dag.id}" is ${String(value)}; expected a whole number of 1 or more`);
  }
  return value;
}

/** A task of the plan by id; an unknown id is an error suggesting the nearest one. */
export function findTaskPlan(plan: RunPlan, taskId: string): TaskPlan {
  const task = plan.byId.get(taskId);
  if (task) return task;
  throw new Error(`DAG "${plan.dag.id}" has no task "${taskId}"${didYouMean(taskId, plan.byId.keys())}; \`dagbox tasks list ${plan.dag.id}\` shows them`);
}
