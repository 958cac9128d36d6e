import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import { classifySchedule } from '../schedule/presets.ts';
import type { DagRunResult } from './types.ts';

/** A run that a dataset update or a TriggerDagRunOperator asks for. */
export interface RequestedRun {
  dag: Dag;
  interval: DataInterval;
  logicalDate: Date;
  runType: 'dataset_triggered' | 'manual';
  conf: Record<string, unknown>;
  /** Why the run was made, for output: the datasets or the triggering task. */
  reason: string;
}

/** The datasets a task updates when it succeeds: its operator's outputs and its own `outputs` (Airflow's outlets). */
export function taskOutputs(dag: Dag, taskId: string): string[] {
  const task = dag.tasks.get(taskId);
  if (!task) return [];
  return [...(task.operator?.outputs ?? []), ...(task.args.outputs ?? [])];
}

/**
 * Dataset-triggered scheduling, as Airflow 2's: a DAG whose schedule is a list of datasets gets a
 * run once *every* one of them has been updated (a task that outputs it succeeded) since its last
 * dataset-triggered run. The run's data interval spans the producing runs' intervals (Airflow's
 * `DatasetTriggeredTimetable`: earliest start to latest end), and its logical date is when the
 * last needed update happened, on the run clock (Airflow takes the scheduler's *now*, which a
 * harness cannot reproduce; the run clock keeps it deterministic). Pure: no clock, no I/O.
 *
 * ```ts
 * const queue = new DatasetQueue(dags);
 * for (const next of queue.record(producerRun)) await runDagRun(next.dag, next.interval, env, { runType: next.runType, logicalDate: next.logicalDate });
 * ```
 */
export class DatasetQueue {
  /** Consumer dag id -> dataset -> the producing runs' intervals and when the last update happened. */
  private readonly pending = new Map<string, Map<string, { intervals: DataInterval[]; at: Date }>>();
  private readonly consumers: { dag: Dag; datasets: string[] }[] = [];
  private readonly byId: Map<string, Dag>;

  constructor(dags: Iterable<Dag>) {
    this.byId = new Map([...dags].map((d) => [d.id, d]));
    for (const dag of this.byId.values()) {
      let kind;
      try {
        kind = classifySchedule(dag.options.schedule ?? null);
      } catch {
        continue; // an invalid schedule is reported by DAG validation
      }
      if (kind.kind === 'datasets') this.consumers.push({ dag, datasets: kind.datasets });
    }
  }

  /** True when some DAG is scheduled on datasets (callers can skip the bookkeeping otherwise). */
  get active(): boolean {
    return this.consumers.length > 0;
  }

  /** Record a finished run; returns the dataset-triggered runs it completes, in DAG-id order. */
  record(run: DagRunResult): RequestedRun[] {
    const producer = this.byId.get(run.dagId);
    if (!producer || !this.active) return [];
    const updated = new Set(run.tasks.filter((t) => t.state === 'success').flatMap((t) => taskOutputs(producer, t.taskId)));
    if (updated.size === 0) return [];
    const at = run.endedAt;
    const due: RequestedRun[] = [];
    for (const { dag, datasets } of [...this.consumers].sort((a, b) => (a.dag.id < b.dag.id ? -1 : 1))) {
      const hits = datasets.filter((d) => updated.has(d));
      if (hits.length === 0) continue;
      const queue = this.pending.get(dag.id) ?? new Map<string, { intervals: DataInterval[]; at: Date }>();
      this.pending.set(dag.id, queue);
      for (const d of hits) {
        const entry = queue.get(d) ?? { intervals: [], at };
        entry.intervals.push(run.interval);
        entry.at = at;
        queue.set(d, entry);
      }
      if (!datasets.every((d) => queue.has(d))) continue;
      const entries = [...queue.values()];
      this.pending.delete(dag.id);
      const intervals = entries.flatMap((e) => e.intervals);
      const start = new Date(Math.min(...intervals.map((i) => i.start.getTime())));
      const end = new Date(Math.max(...intervals.map((i) => i.end.getTime())));
      const logicalDate = new Date(Math.max(...entries.map((e) => e.at.getTime())));
      due.push({ dag, interval: { start, end }, logicalDate, runType: 'dataset_triggered', conf: {}, reason: `datasets ${datasets.join(', ')} updated` });
    }
    return due;
  }
}
