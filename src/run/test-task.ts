import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import { findTaskPlan, planDag } from './plan.ts';
import { createRunShared } from './run-shared.ts';
import { pendingResult, runTaskInstance } from './task-instance.ts';
import type { RunEnvironment, TaskInstanceResult } from './types.ts';

/**
 * Airflow's `tasks test`: run one task for an interval, ignoring its upstream tasks and
 * dependsOnPast, with one try (no retries) and no callbacks (a local test must not page anyone).
 * Nothing is recorded in the run store; events still go to `env.onEvent`. XComs of upstream
 * tasks pull as undefined, since they did not run.
 */
export async function testTask(dag: Dag, taskId: string, interval: DataInterval, env: RunEnvironment): Promise<TaskInstanceResult> {
  const plan = planDag(dag);
  const task = findTaskPlan(plan, taskId);
  if (task.mapped) {
    throw new Error(
      `task "${taskId}" of DAG "${dag.id}" is mapped (.expand): its instances exist only inside a DAG run, ` +
        `since what it maps over comes from upstream tasks; run \`dagbox dags test ${dag.id} DATE\` to see every map index`,
    );
  }
  const shared = createRunShared(plan, interval, { ...env, store: undefined }, 'test', undefined);
  const result = pendingResult(task.id);
  await runTaskInstance(shared, task, result, { retries: false, callbacks: false });
  return result;
}
