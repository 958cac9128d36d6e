import type { Dag, Task } from '../dag/dag.ts';
import type { Duration, TaskArgs, TriggerRule } from '../dag/types.ts';
import { didYouMean } from '../shared/suggest.ts';
import { compileSchedule, parseDuration } from '../schedule/index.ts';
import type { CompiledSchedule } from '../schedule/index.ts';
import { scheduleSpecOf } from './schedule-spec.ts';
import { TRIGGER_RULES } from './trigger-rules.ts';

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
  return { dag, tasks, byId, hasDependsOnPast: tasks.some((t) => t.dependsOnPast), schedule: compileSchedule(scheduleSpecOf(dag)) };
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
  const triggerRule = args.triggerRule ?? 'all_success';
  if (!TRIGGER_RULES.includes(triggerRule)) {
    throw new Error(`${where} has trigger rule "${String(triggerRule)}"; expected one of ${TRIGGER_RULES.join(', ')}`);
  }
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
