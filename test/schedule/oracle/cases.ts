/**
 * The schedule oracle's cases: the same DAG settings given to Airflow 2.8's own code
 * (airflow_oracle.py) and to dagbox's schedule core, compared interval by interval.
 *
 * - `due`: the runs a scheduler has created by `now` (Airflow: `dag.next_dagrun_info` repeated
 *   while `run_after <= now`, with its clock fixed at `now`; dagbox: `dueIntervals`);
 * - `backfill`: `airflow dags backfill -s START -e END` (`dag.iter_dagrun_infos_between` on the
 *   dates as its CLI parses them, in UTC; dagbox: `backfillIntervals`), where a range past the
 *   DAG's endDate deadlocks Airflow and must be refused by dagbox;
 * - `manual`: `airflow dags test DAG DATE`'s data interval (`infer_manual_data_interval`);
 * - `prev`: `prev_ds` of the run at DATE (`dag.previous_schedule`).
 */

/** A DAG's schedule settings; dates are wall times in `timezone` (`YYYY-MM-DD[THH:MM]`). */
export interface OracleDag {
  schedule: string | null | { every: string };
  timezone?: string;
  startDate: string;
  endDate?: string;
  catchup?: boolean;
}

export type OracleCase =
  | { id: string; kind: 'due'; dag: OracleDag; now: string }
  | { id: string; kind: 'backfill'; dag: OracleDag; start: string; end: string }
  | { id: string; kind: 'manual'; dag: OracleDag; date: string }
  | { id: string; kind: 'prev'; dag: OracleDag; date: string };

const NY = 'America/New_York';
const LDN = 'Europe/London';
const SEOUL = 'Asia/Seoul';
const LORD_HOWE = 'Australia/Lord_Howe';

const daily: OracleDag = { schedule: '@daily', startDate: '2021-02-05' };

export const CASES: OracleCase[] = [
  // Cron expressions and presets, UTC, catchup on.
  { id: 'preset-daily', kind: 'due', dag: daily, now: '2021-02-08T00:00:00Z' },
  { id: 'preset-daily-now-between', kind: 'due', dag: daily, now: '2021-02-08T13:00:00Z' },
  { id: 'preset-daily-not-yet-due', kind: 'due', dag: daily, now: '2021-02-05T23:59:00Z' },
  { id: 'preset-hourly', kind: 'due', dag: { schedule: '@hourly', startDate: '2021-02-05T10:30' }, now: '2021-02-05T16:00:00Z' },
  { id: 'preset-weekly', kind: 'due', dag: { schedule: '@weekly', startDate: '2021-02-03' }, now: '2021-03-08T00:00:00Z' },
  { id: 'preset-monthly', kind: 'due', dag: { schedule: '@monthly', startDate: '2021-01-15' }, now: '2021-06-01T00:00:00Z' },
  { id: 'preset-quarterly', kind: 'due', dag: { schedule: '@quarterly', startDate: '2021-02-01' }, now: '2022-01-01T00:00:00Z' },
  { id: 'preset-yearly', kind: 'due', dag: { schedule: '@yearly', startDate: '2019-06-01' }, now: '2023-01-01T00:00:00Z' },
  { id: 'cron-0-2-daily', kind: 'due', dag: { schedule: '0 2 * * *', startDate: '2021-02-05' }, now: '2021-02-09T03:00:00Z' },
  { id: 'cron-every-15-min', kind: 'due', dag: { schedule: '*/15 * * * *', startDate: '2021-02-05T10:07' }, now: '2021-02-05T12:00:00Z' },
  { id: 'cron-weekdays', kind: 'due', dag: { schedule: '30 6 * * 1-5', startDate: '2021-02-01' }, now: '2021-02-16T00:00:00Z' },
  { id: 'cron-dom-or-dow', kind: 'due', dag: { schedule: '0 0 13 * 5', startDate: '2021-09-01' }, now: '2021-10-16T00:00:00Z' },
  { id: 'cron-list-hours', kind: 'due', dag: { schedule: '0 1,9,17 * * *', startDate: '2021-02-05' }, now: '2021-02-07T10:00:00Z' },
  { id: 'cron-start-on-fire', kind: 'due', dag: { schedule: '0 2 * * *', startDate: '2021-02-05T02:00' }, now: '2021-02-08T02:00:00Z' },

  // catchup off: only the latest complete interval, never before the aligned startDate.
  { id: 'nocatchup-daily-between', kind: 'due', dag: { ...daily, catchup: false }, now: '2021-03-01T13:00:00Z' },
  { id: 'nocatchup-daily-on-boundary', kind: 'due', dag: { ...daily, catchup: false }, now: '2021-03-01T00:00:00Z' },
  { id: 'nocatchup-before-first-complete', kind: 'due', dag: { ...daily, catchup: false }, now: '2021-02-05T12:00:00Z' },
  { id: 'nocatchup-first-complete', kind: 'due', dag: { ...daily, catchup: false }, now: '2021-02-06T06:00:00Z' },
  { id: 'nocatchup-hourly', kind: 'due', dag: { schedule: '@hourly', startDate: '2021-02-01', catchup: false }, now: '2021-02-05T10:30:00Z' },
  { id: 'nocatchup-weekly', kind: 'due', dag: { schedule: '@weekly', startDate: '2021-01-01', catchup: false }, now: '2021-03-03T00:00:00Z' },
  { id: 'nocatchup-cron-0-2', kind: 'due', dag: { schedule: '0 2 * * *', startDate: '2021-01-01', catchup: false }, now: '2021-02-10T01:00:00Z' },
  { id: 'nocatchup-now-before-start', kind: 'due', dag: { ...daily, catchup: false }, now: '2021-01-20T00:00:00Z' },

  // startDate / endDate.
  { id: 'enddate-on-fire', kind: 'due', dag: { ...daily, endDate: '2021-02-08' }, now: '2021-03-01T00:00:00Z' },
  { id: 'enddate-between-fires', kind: 'due', dag: { ...daily, endDate: '2021-02-07T12:00' }, now: '2021-03-01T00:00:00Z' },
  { id: 'enddate-nocatchup-after-end', kind: 'due', dag: { ...daily, endDate: '2021-02-10', catchup: false }, now: '2021-03-01T00:00:00Z' },
  { id: 'enddate-nocatchup-before-end', kind: 'due', dag: { ...daily, endDate: '2021-02-10', catchup: false }, now: '2021-02-08T05:00:00Z' },
  { id: 'startdate-midday', kind: 'due', dag: { schedule: '@daily', startDate: '2021-02-05T13:45' }, now: '2021-02-09T00:00:00Z' },

  // Time zones: the spring gap and the autumn fold, in New York and London; Seoul; Lord Howe's half hour.
  { id: 'ny-spring-0230', kind: 'due', dag: { schedule: '30 2 * * *', timezone: NY, startDate: '2021-03-12' }, now: '2021-03-17T00:00:00Z' },
  { id: 'ny-spring-daily', kind: 'due', dag: { schedule: '@daily', timezone: NY, startDate: '2021-03-12' }, now: '2021-03-17T00:00:00Z' },
  { id: 'ny-spring-hourly', kind: 'due', dag: { schedule: '@hourly', timezone: NY, startDate: '2021-03-13T22:00' }, now: '2021-03-14T10:00:00Z' },
  { id: 'ny-spring-every-2h', kind: 'due', dag: { schedule: '15 */2 * * *', timezone: NY, startDate: '2021-03-13T20:00' }, now: '2021-03-14T14:00:00Z' },
  { id: 'ny-fold-0130', kind: 'due', dag: { schedule: '30 1 * * *', timezone: NY, startDate: '2021-11-05' }, now: '2021-11-10T00:00:00Z' },
  { id: 'ny-fold-0100-weekly-sunday', kind: 'due', dag: { schedule: '0 1 * * 0', timezone: NY, startDate: '2021-10-20' }, now: '2021-11-20T00:00:00Z' },
  { id: 'ny-fold-daily', kind: 'due', dag: { schedule: '@daily', timezone: NY, startDate: '2021-11-05' }, now: '2021-11-10T00:00:00Z' },
  { id: 'ny-fold-hourly', kind: 'due', dag: { schedule: '@hourly', timezone: NY, startDate: '2021-11-06T22:00' }, now: '2021-11-07T10:00:00Z' },
  { id: 'ny-fold-half-hourly', kind: 'due', dag: { schedule: '*/30 * * * *', timezone: NY, startDate: '2021-11-07T00:00' }, now: '2021-11-07T08:00:00Z' },
  { id: 'ny-fold-list-hours', kind: 'due', dag: { schedule: '0 1,2,3 * * *', timezone: NY, startDate: '2021-11-05' }, now: '2021-11-09T00:00:00Z' },
  { id: 'ny-fold-startdate-inside', kind: 'due', dag: { schedule: '30 1 * * *', timezone: NY, startDate: '2021-11-07T01:30' }, now: '2021-11-10T00:00:00Z' },
  { id: 'ny-fold-startdate-inside-hourly', kind: 'due', dag: { schedule: '@hourly', timezone: NY, startDate: '2021-11-07T01:00' }, now: '2021-11-07T09:00:00Z' },
  { id: 'ny-spring-startdate-in-gap', kind: 'due', dag: { schedule: '30 2 * * *', timezone: NY, startDate: '2021-03-14T02:30' }, now: '2021-03-18T00:00:00Z' },
  { id: 'ny-fold-nocatchup-now-in-fold', kind: 'due', dag: { schedule: '@hourly', timezone: NY, startDate: '2021-11-01', catchup: false }, now: '2021-11-07T06:30:00Z' },
  { id: 'london-spring-0130', kind: 'due', dag: { schedule: '30 1 * * *', timezone: LDN, startDate: '2021-03-26' }, now: '2021-03-31T00:00:00Z' },
  { id: 'london-fold-0130', kind: 'due', dag: { schedule: '30 1 * * *', timezone: LDN, startDate: '2021-10-29' }, now: '2021-11-03T00:00:00Z' },
  { id: 'london-fold-daily', kind: 'due', dag: { schedule: '@daily', timezone: LDN, startDate: '2021-10-29' }, now: '2021-11-03T00:00:00Z' },
  { id: 'london-fold-hourly', kind: 'due', dag: { schedule: '@hourly', timezone: LDN, startDate: '2021-10-30T22:00' }, now: '2021-10-31T05:00:00Z' },
  { id: 'seoul-daily', kind: 'due', dag: { schedule: '@daily', timezone: SEOUL, startDate: '2021-02-05' }, now: '2021-02-08T00:00:00Z' },
  { id: 'seoul-0-2', kind: 'due', dag: { schedule: '0 2 * * *', timezone: SEOUL, startDate: '2021-02-05', catchup: false }, now: '2021-02-10T00:00:00Z' },
  { id: 'lord-howe-fold-daily', kind: 'due', dag: { schedule: '30 1 * * *', timezone: LORD_HOWE, startDate: '2021-04-02' }, now: '2021-04-07T00:00:00Z' },

  // Fixed periods (Airflow's timedelta schedules).
  { id: 'delta-48h', kind: 'due', dag: { schedule: '48h', startDate: '2021-02-05' }, now: '2021-02-15T00:00:00Z' },
  { id: 'delta-every-2h-unaligned', kind: 'due', dag: { schedule: { every: '2h' }, startDate: '2021-02-05T00:17' }, now: '2021-02-05T09:00:00Z' },
  { id: 'delta-90m', kind: 'due', dag: { schedule: '90m', startDate: '2021-02-05' }, now: '2021-02-05T06:00:00Z' },
  { id: 'delta-1d-new-york-dst', kind: 'due', dag: { schedule: { every: '1d' }, timezone: NY, startDate: '2021-03-12' }, now: '2021-03-17T00:00:00Z' },
  { id: 'delta-nocatchup', kind: 'due', dag: { schedule: { every: '2h' }, startDate: '2021-02-05T00:17', catchup: false }, now: '2021-02-06T05:00:00Z' },
  { id: 'delta-nocatchup-6h', kind: 'due', dag: { schedule: '6h', startDate: '2021-02-01T03:00', catchup: false }, now: '2021-02-05T14:00:00Z' },
  { id: 'delta-enddate', kind: 'due', dag: { schedule: '12h', startDate: '2021-02-05', endDate: '2021-02-07' }, now: '2021-03-01T00:00:00Z' },

  // @once.
  { id: 'once-due', kind: 'due', dag: { schedule: '@once', startDate: '2021-02-05T03:00' }, now: '2021-03-01T00:00:00Z' },
  { id: 'once-not-yet', kind: 'due', dag: { schedule: '@once', startDate: '2021-02-05T03:00' }, now: '2021-02-05T02:59:00Z' },
  { id: 'once-nocatchup', kind: 'due', dag: { schedule: '@once', startDate: '2021-02-05', catchup: false }, now: '2022-01-01T00:00:00Z' },

  // Backfill ranges and their edges (`airflow dags backfill -s START -e END`).
  { id: 'backfill-course-example', kind: 'backfill', dag: daily, start: '2021-02-05', end: '2021-02-07' },
  { id: 'backfill-single-day', kind: 'backfill', dag: daily, start: '2021-02-06', end: '2021-02-06' },
  { id: 'backfill-start-midday', kind: 'backfill', dag: daily, start: '2021-02-05T12:00', end: '2021-02-08' },
  { id: 'backfill-end-midday', kind: 'backfill', dag: daily, start: '2021-02-05', end: '2021-02-07T12:00' },
  { id: 'backfill-ignores-catchup-off', kind: 'backfill', dag: { ...daily, catchup: false }, start: '2021-02-05', end: '2021-02-09' },
  { id: 'backfill-hourly', kind: 'backfill', dag: { schedule: '@hourly', startDate: '2021-02-01' }, start: '2021-02-05T03:00', end: '2021-02-05T08:00' },
  { id: 'backfill-weekly', kind: 'backfill', dag: { schedule: '@weekly', startDate: '2021-01-01' }, start: '2021-02-01', end: '2021-03-01' },
  { id: 'backfill-cron-0-2', kind: 'backfill', dag: { schedule: '0 2 * * *', startDate: '2021-01-01' }, start: '2021-02-05', end: '2021-02-08' },
  { id: 'backfill-before-startdate', kind: 'backfill', dag: daily, start: '2021-02-02', end: '2021-02-06' },
  { id: 'backfill-wholly-before-startdate', kind: 'backfill', dag: daily, start: '2021-01-01', end: '2021-01-03' },
  { id: 'backfill-end-on-enddate', kind: 'backfill', dag: { ...daily, endDate: '2021-02-08' }, start: '2021-02-05', end: '2021-02-08' },
  { id: 'backfill-past-enddate', kind: 'backfill', dag: { ...daily, endDate: '2021-02-08' }, start: '2021-02-06', end: '2021-02-10' },
  { id: 'backfill-wholly-after-enddate', kind: 'backfill', dag: { ...daily, endDate: '2021-02-08' }, start: '2021-02-12', end: '2021-02-13' },
  { id: 'backfill-once-in-range', kind: 'backfill', dag: { schedule: '@once', startDate: '2021-02-05' }, start: '2021-02-07', end: '2021-02-09' },
  { id: 'backfill-once-range-holds-startdate', kind: 'backfill', dag: { schedule: '@once', startDate: '2021-02-05T03:00' }, start: '2021-02-01', end: '2021-02-09' },
  { id: 'backfill-delta-48h', kind: 'backfill', dag: { schedule: '48h', startDate: '2021-02-05' }, start: '2021-02-06', end: '2021-02-12' },
  { id: 'backfill-ny-daily-dst', kind: 'backfill', dag: { schedule: '@daily', timezone: NY, startDate: '2021-03-01' }, start: '2021-03-12', end: '2021-03-16' },
  { id: 'backfill-ny-fold-0130', kind: 'backfill', dag: { schedule: '30 1 * * *', timezone: NY, startDate: '2021-11-01' }, start: '2021-11-06', end: '2021-11-09' },
  { id: 'backfill-seoul-daily-utc-dates', kind: 'backfill', dag: { schedule: '@daily', timezone: SEOUL, startDate: '2021-02-01' }, start: '2021-02-05', end: '2021-02-07' },
  { id: 'backfill-london-fold-hourly', kind: 'backfill', dag: { schedule: '@hourly', timezone: LDN, startDate: '2021-10-01' }, start: '2021-10-30T23:00', end: '2021-10-31T03:00' },

  // `airflow dags test DAG DATE`: a manual run whose data interval ends at DATE.
  { id: 'manual-daily', kind: 'manual', dag: daily, date: '2021-02-05' },
  { id: 'manual-daily-midday', kind: 'manual', dag: daily, date: '2021-02-05T13:00' },
  { id: 'manual-cron-0-2', kind: 'manual', dag: { schedule: '0 2 * * *', startDate: '2021-01-01' }, date: '2021-02-05T01:00' },
  { id: 'manual-delta-2h', kind: 'manual', dag: { schedule: { every: '2h' }, startDate: '2021-01-01' }, date: '2021-02-05T01:00' },
  { id: 'manual-once', kind: 'manual', dag: { schedule: '@once', startDate: '2021-01-01' }, date: '2021-02-05' },

  // prev_ds, on the first interval too.
  { id: 'prev-first-interval-daily', kind: 'prev', dag: daily, date: '2021-02-05' },
  { id: 'prev-first-interval-weekly', kind: 'prev', dag: { schedule: '@weekly', startDate: '2021-02-07' }, date: '2021-02-07' },
  { id: 'prev-delta', kind: 'prev', dag: { schedule: '48h', startDate: '2021-02-05' }, date: '2021-02-05' },
  { id: 'prev-once', kind: 'prev', dag: { schedule: '@once', startDate: '2021-02-05' }, date: '2021-02-05' },
];
