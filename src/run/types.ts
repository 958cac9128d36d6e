import type { Connections, DagRunState, DataInterval, TaskContext, TaskState, Variables } from '../dag/types.ts';
import type { Clock } from './clock.ts';
import type { Masker } from './masker.ts';
import type { RunStore } from './store.ts';

/** How a DAG run came about; the prefix of its run id (`backfill__2021-02-05T00:00:00+00:00`). */
export type RunType = 'scheduled' | 'backfill' | 'manual' | 'test' | 'dataset_triggered';

/** What a task asks for with `ctx.triggerDagRun` (Airflow's TriggerDagRunOperator). */
export interface TriggerRequest {
  /** The DAG to run. */
  dagId: string;
  /** `dag_run.conf` of the new run. */
  conf: Record<string, unknown>;
  /** Logical date of the new run; default the triggering run's clock time. */
  logicalDate?: Date;
  /** Run it now and fail the task unless it succeeds (Airflow's wait_for_completion); else it runs after the current run. */
  waitForCompletion: boolean;
  /** `<dag>.<task>` that asked, for output. */
  from: string;
}

/** Log levels of task log lines. */
export type LogLevel = 'info' | 'warn' | 'error';

/** A DAG run started. */
export interface RunStartEvent {
  type: 'run-start';
  dagId: string;
  runId: string;
  runType: RunType;
  interval: DataInterval;
  at: Date;
}

/** A task instance changed state. */
export interface TaskStateEvent {
  type: 'task-state';
  dagId: string;
  runId: string;
  taskId: string;
  /** The map index of an instance of a mapped task. */
  mapIndex?: number;
  state: TaskState;
  tryNumber: number;
  at: Date;
  /** The (masked) error, on failed and up_for_retry. */
  error?: string;
}

/** A task wrote a log line. `line` is already masked. */
export interface LogEvent {
  type: 'log';
  dagId: string;
  runId: string;
  taskId: string;
  /** The map index of an instance of a mapped task. */
  mapIndex?: number;
  level: LogLevel;
  line: string;
  at: Date;
}

/** A DAG run ended. */
export interface RunEndEvent {
  type: 'run-end';
  run: DagRunResult;
}

/** What the executor reports while it runs, for live output (`onEvent`). */
export type RunEvent = RunStartEvent | TaskStateEvent | LogEvent | RunEndEvent;

/** Everything a DAG run needs from outside: registries, masker, clock, history and observers. */
export interface RunEnvironment {
  variables: Variables;
  connections: Connections;
  /** Every log line, error and report passes through it. See `maskerFor`. */
  masker: Masker;
  clock: Clock;
  /** Run history; omitted = runs are not recorded. */
  store?: RunStore;
  /**
   * Extra context members (service hooks such as `ctx.mysql()`), made per task try.
   * They never replace the context's own members.
   */
  hooks?: (ctx: TaskContext) => Record<string, unknown>;
  /** Called synchronously for every event; an observer that throws is reported once as a process warning. */
  onEvent?: (event: RunEvent) => void;
  /** Concurrently running tasks per DAG run. Default: the DAG's `maxActiveTasks`, else 16. */
  maxActiveTasks?: number;
  /**
   * A stop request (Ctrl-C, SIGTERM). Once aborted, no run, task or retry starts; a run in flight
   * ends at once as `interrupted`, naming the tasks that were running, and is recorded so. The
   * abort reason (a signal name or an Error) is quoted in the run's error.
   */
  signal?: AbortSignal;
  /** Pools and their slots (Airflow's pools); `default_pool` has 128 unless given here. */
  pools?: Record<string, number>;
  /**
   * How far the warehouse's wall clock (GETDATE(), SYSDATE, now(), CURRENT_TIMESTAMP) runs ahead of
   * the real one, in ms: verification re-runs an interval a day later, so that anything that
   * depends on the wall clock shows up as a difference. Default 0.
   */
  wallClockShiftMs?: number;
  /**
   * Runs another DAG for `ctx.triggerDagRun` (TriggerDagRunOperator); omitted = triggering is an
   * error saying where it works. `RunCoordinator.env()` provides it.
   */
  triggerDagRun?: (request: TriggerRequest) => Promise<DagRunResult | null>;
}

/** One task instance of a DAG run, after the run. */
export interface TaskInstanceResult {
  taskId: string;
  /**
   * Set on the instances of a mapped task (`.expand()`): 0, 1, ... per element; -1 when the
   * task never expanded (it was skipped, upstream_failed, or its list was empty).
   */
  mapIndex?: number;
  state: TaskState;
  /** The last try made: 0 when the task never ran, 1 for the first try, ... */
  tryNumber: number;
  /** On the run's clock (virtual in simulations): start of the first try. */
  startedAt: Date | null;
  /** On the run's clock: end of the last try. */
  endedAt: Date | null;
  /**
   * Real time spent in the task's tries, in ms (retry waits excluded). Real, because a
   * virtual clock stands still while code runs.
   */
  durationMs: number;
  /** The masked error of the last try, or why the task did not run. */
  error?: string;
  /** Rows the task wrote, when its return value says so (`{ rows: n }`, as the operators return). */
  rows?: number;
  /** Masked log lines, `[timestamp] LEVEL - message`. */
  log: string[];
}

/** One DAG run, after it ended (or, in the run store, while it is running). */
export interface DagRunResult {
  dagId: string;
  runId: string;
  runType: RunType;
  interval: DataInterval;
  /** Set when the logical date is not the interval's start (a manual run: its interval ends at it). */
  logicalDate?: Date;
  /** `dag_run.conf` of a triggered run, when one was given. */
  conf?: Record<string, unknown>;
  state: DagRunState;
  /** Task instances in the DAG's declaration order. */
  tasks: TaskInstanceResult[];
  /** On the run's clock. */
  startedAt: Date;
  /** On the run's clock; equals `startedAt` while the run is running. */
  endedAt: Date;
  /** Real wall time of the run, in ms. */
  durationMs: number;
  /** Why the run failed or was interrupted. */
  error?: string;
}
