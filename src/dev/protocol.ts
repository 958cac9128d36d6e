import type { Connection } from '../config/connection.ts';
import type { DagLoadError } from '../dag/loader.ts';
import type { DagOptions, DataInterval } from '../dag/types.ts';
import type { DagRunResult, RunEvent, RunType } from '../run/index.ts';
import type { ScheduleSpec } from '../schedule/index.ts';

/** A task as the dev loop compares versions of a DAG: `signature` changes when its code or wiring does. */
export interface TaskSummary {
  id: string;
  kind: string;
  upstream: string[];
  signature: string;
}

/** A loaded DAG, as plain data that crosses the worker boundary. */
export interface DagSummary {
  id: string;
  file: string;
  spec: ScheduleSpec;
  options: Pick<DagOptions, 'schedule' | 'maxActiveRuns' | 'inputs' | 'outputs' | 'description' | 'verify'>;
  tasks: TaskSummary[];
}

/** The outcome of loading one file: its DAGs (the last good ones when it failed) and its errors. */
export interface FileLoad {
  file: string;
  dags: DagSummary[];
  errors: DagLoadError[];
}

/** What a run in the worker needs from the session, as plain data. */
export interface RunSpec {
  variables: Record<string, unknown>;
  connections: Connection[];
  secrets: string[];
  bucket: string;
  clockStart: Date;
  stateDir: string | null;
  /** The project's fixtures folder: the http operator answers from its http/ folder. */
  fixturesDir: string | null;
}

export type Request =
  | { id: number; type: 'load'; files: string[] }
  | { id: number; type: 'drop'; files: string[] }
  | { id: number; type: 'run'; dagId: string; intervals: DataInterval[]; runType: RunType; spec: RunSpec };

export type Reply =
  | { id: number; type: 'loaded'; files: FileLoad[] }
  | { id: number; type: 'dropped' }
  | { id: number; type: 'ran'; runs: DagRunResult[] }
  | { id: number; type: 'event'; event: RunEvent }
  | { id: number; type: 'error'; message: string; stack?: string };
