/**
 * The in-process executor: DAG runs, backfills, `tasks test` and `tasks render`, with clocks,
 * secret masking and the run history.
 *
 * ```ts
 * import { runDagRun, maskerFor, VirtualClock, RunStore } from './run/index.ts';
 * const env = { variables, connections, masker: maskerFor(variables, connections),
 *   clock: new VirtualClock(new Date()), store: await RunStore.open('.dagbox') };
 * const run = await runDagRun(dag, interval, env);
 * ```
 *
 * src/run/: the executor. task-queue.ts is the task queue of one run; deciding which runs exist is
 * schedule/ (runIntervals asks it).
 *
 * May import: dag/, config/, template/, schedule/, shared/ (the layers are checked by .dependency-
 * cruiser.cjs).
 */
export { VirtualClock, realClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { Masker, MIN_SECRET_LENGTH, maskerFor, connectionSecrets } from './masker.ts';
export type { ListableConnections, ListableVariables } from './masker.ts';
export { isSensitiveName } from '../config/sensitive.ts';
export { runDagRun } from './dag-run.ts';
export type { DagRunOptions } from './dag-run.ts';
export { runIntervals } from './intervals.ts';
export { RunCoordinator } from './run-coordinator.ts';
export { DatasetQueue, taskOutputs } from './dataset-triggers.ts';
export type { RequestedRun } from './dataset-triggers.ts';
export type { RunIntervalsOptions } from './intervals.ts';
export { testTask } from './test-task.ts';
export { renderTaskFields } from './render-fields.ts';
export { runIdFor } from './run-shared.ts';
export { scheduleSpecOf } from './schedule-spec.ts';
export { TaskTimeoutError } from './task-instance.ts';
export { evaluateTriggerRule } from '../dag/trigger-rules.ts';
export type { TriggerDecision, UpstreamTally } from '../dag/trigger-rules.ts';
export { RunStore } from './store.ts';
export type {
  DagRunResult,
  LogEvent,
  LogLevel,
  RunEndEvent,
  RunEnvironment,
  RunEvent,
  RunStartEvent,
  RunType,
  TaskInstanceResult,
  TaskStateEvent,
  TriggerRequest,
} from './types.ts';
