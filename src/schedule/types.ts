import type { DataInterval } from '../dag/types.ts';
import type { Schedule } from './presets.ts';

/**
 * The schedule inputs of one DAG, already parsed (see {@link parseDate}).
 *
 * ```ts
 * const spec: ScheduleSpec = { schedule: '@daily', startDate: new Date('2021-02-05T00:00:00Z'), timezone: 'UTC', catchup: true };
 * ```
 */
export interface ScheduleSpec {
  /** A five-field cron expression, a preset (`@daily`, `@once`, ...), a period (`'48h'`, `{ every: '2h' }`), a list of datasets, or `null`/`'none'` for manual runs only. */
  schedule: Schedule;
  /** The first data interval starts at the first schedule time at or after this instant. */
  startDate: Date;
  /** No data interval starts after this instant (an interval starting exactly here still runs, as in Airflow). */
  endDate?: Date | null;
  /** IANA time zone the cron expression is read in, e.g. `'Asia/Seoul'`. */
  timezone: string;
  /** Run every missed interval since startDate (true) or only the latest complete one (false). */
  catchup: boolean;
}

/** A DAG run the scheduler may create: its data interval, and the earliest time it may start (Airflow's DagRunInfo). */
export interface DagRunInfo {
  /** When the run becomes due: the interval's end for cron schedules, startDate for `@once`. */
  runAfter: Date;
  interval: DataInterval;
}

/**
 * Bounds on the next run, Airflow's TimeRestriction adapted to a harness without a clock:
 * `earliest` is an extra lower bound on the interval start (startDate always applies), and
 * `latest` is the simulated *now*: a run is returned only when it is due (`runAfter <= latest`).
 */
export interface TimeRestriction {
  earliest?: Date | null;
  latest?: Date | null;
}
