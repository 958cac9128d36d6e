import type { DataInterval } from '../dag/types.ts';
import { nextRun, type Bounds, type RunSpan, type Span } from './next-dagrun-info.ts';
import { timetableFor, type IntervalTimetable, type Timetable } from './timetable.ts';
import type { DagRunInfo, ScheduleSpec, TimeRestriction } from './types.ts';
import type { Schedule } from './presets.ts';

/**
 * A schedule compiled once (cron parsed, time zone resolved) for repeated queries. Every method
 * is a pure function of its arguments: *now* is always passed in, never read from a clock.
 *
 * ```ts
 * const s = compileSchedule({ schedule: '@daily', startDate: new Date('2021-02-05T00:00:00Z'), timezone: 'UTC', catchup: true });
 * s.dueIntervals(new Date('2021-02-08T00:00:00Z')).length; // 3
 * ```
 */
export interface CompiledSchedule {
  readonly spec: ScheduleSpec;
  readonly timetable: Timetable;
  /** See the free function {@link nextDagrunInfo}. */
  nextDagrunInfo(last: DataInterval | null, restriction?: TimeRestriction): DagRunInfo | null;
  /** See {@link dueIntervals}. */
  dueIntervals(now: Date, opts?: { last?: DataInterval | null; limit?: number }): DataInterval[];
  /** See {@link backfillIntervals}. */
  backfillIntervals(start: Date, end: Date, opts?: BackfillOptions): DataInterval[];
  /** See {@link previousInterval}. */
  previousInterval(interval: DataInterval): DataInterval | null;
  /** See {@link followingInterval}. */
  followingInterval(interval: DataInterval): DataInterval | null;
  /** See {@link intervalAt}. */
  intervalAt(date: Date): DataInterval;
  /** See {@link manualInterval}. */
  manualInterval(date: Date): DataInterval;
}

/**
 * Validate a schedule spec and compile it. Throws an Error with a sentence naming the bad field
 * (schedule, timezone, startDate, endDate) and what to use instead.
 */
export function compileSchedule(spec: ScheduleSpec): CompiledSchedule {
  const timetable = timetableFor(spec.schedule, spec.timezone);
  const bounds: Bounds = {
    start: instant(spec.startDate, 'startDate'),
    end: spec.endDate === null || spec.endDate === undefined ? null : instant(spec.endDate, 'endDate'),
    catchup: spec.catchup !== false,
  };
  return {
    spec,
    timetable,
    nextDagrunInfo: (last, restriction = {}) => {
      const earliest = optionalInstant(restriction.earliest, 'restriction.earliest');
      const now = optionalInstant(restriction.latest, 'restriction.latest');
      const run = nextRun(timetable, bounds, last ? span(last, 'last') : null, earliest, now);
      return run && { runAfter: new Date(run.runAfter), interval: interval(run) };
    },
    dueIntervals: (now, opts = {}) => dueSpans(timetable, bounds, instant(now, 'now'), opts.last ? span(opts.last, 'last') : null, limitOf(opts.limit)).map(interval),
    backfillIntervals: (start, end, opts = {}) =>
      backfillSpans(timetable, bounds, instant(start, 'backfill start'), instant(end, 'backfill end'), opts).map(interval),
    previousInterval: (i) => nullable(previousSpan(timetable, span(i, 'interval'))),
    followingInterval: (i) => nullable(followingSpan(timetable, span(i, 'interval'))),
    intervalAt: (date) => interval(spanAt(timetable, instant(date, 'date'))),
    manualInterval: (date) => {
      const t = instant(date, 'date');
      return interval(timetable.kind === 'interval' ? timetable.manualInterval(t) : { start: t, end: t });
    },
  };
}

/**
 * Why a schedule cannot be used, as a sentence, or null when it is valid: an unknown preset, a
 * cron expression cron-parser rejects (its reason is included), or an unknown time zone.
 *
 * ```ts
 * scheduleError('0 2 * * *', 'Asia/Seoul'); // null
 * scheduleError('61 * * * *', 'UTC');       // 'invalid cron schedule "61 * * * *": Constraint error, got value 61 ...'
 * ```
 */
export function scheduleError(schedule: Schedule, timezone: string): string | null {
  try {
    const tt = timetableFor(schedule, timezone);
    // An expression can parse yet never match (e.g. a weekday-only rule cron-parser accepts): probe it once.
    if (tt.kind === 'interval') tt.next(0);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The next DAG run after `last` (null: the first run), with Airflow 2 semantics. `restriction.latest`
 * is the simulated *now*: the run is returned only when it is due (`runAfter <= now`), and
 * catchup=false skips to the latest complete interval before it. Pass no `latest` to get the next
 * interval whether due or not (catchup=false then cannot skip: there is no now to skip to).
 * `restriction.earliest` is an extra lower bound on the interval start; startDate always applies.
 * Returns null for manual schedules, after endDate, and when nothing is due.
 *
 * ```ts
 * const spec = { schedule: '@daily', startDate: new Date('2021-02-05T00:00:00Z'), timezone: 'UTC', catchup: true };
 * nextDagrunInfo(spec, null, { latest: new Date('2021-02-06T00:00:00Z') });
 * // { runAfter: 2021-02-06T00:00Z, interval: { start: 2021-02-05T00:00Z, end: 2021-02-06T00:00Z } }
 * ```
 */
export function nextDagrunInfo(spec: ScheduleSpec, last: DataInterval | null, restriction: TimeRestriction): DagRunInfo | null {
  return compileSchedule(spec).nextDagrunInfo(last, restriction);
}

/**
 * The data intervals due at simulated time `now` (interval end <= now), oldest first, after `last`
 * when given. With catchup=false only the latest complete interval (and none that starts before
 * the first schedule time at or after startDate; and, as in Airflow, none at all once the latest
 * complete interval starts after endDate). `limit` keeps the last N. Manual: none.
 *
 * ```ts
 * dueIntervals(spec, new Date('2021-02-08T00:00:00Z'), { limit: 2 }); // [02-06, 02-07) and [02-07, 02-08)
 * ```
 */
export function dueIntervals(spec: ScheduleSpec, now: Date, opts?: { last?: DataInterval | null; limit?: number }): DataInterval[] {
  return compileSchedule(spec).dueIntervals(now, opts);
}

/** Options of {@link backfillIntervals}. */
export interface BackfillOptions {
  /**
   * Read the range as `[start, end)`, END excluded, as the course notes write it. Default false:
   * END included, as Airflow 2's `airflow dags backfill -s START -e END`.
   */
  endExclusive?: boolean;
  /**
   * Keep only the intervals inside the DAG's own dates (from startDate, none starting after
   * endDate) instead of Airflow's backfill edges: dagbox's test windows use this. Default false.
   */
  withinDagDates?: boolean;
}

/**
 * Backfill, as Airflow 2's `dag.iter_dagrun_infos_between(start, end)`: the intervals whose
 * logical date (= start) lies in [start, end], END INCLUDED (or [start, end) with
 * `endExclusive`), ignoring catchup, oldest first. The first logical date is the first schedule
 * time at or after `start`.
 *
 * Range edges, as Airflow 2.8 behaves and where it misbehaves:
 * - dates before startDate run, as in Airflow (its backfill does not apply the DAG's start_date);
 * - dates after endDate are refused with an error: Airflow creates those runs, its tasks then
 *   never pass the end-date check and the backfill deadlocks;
 * - `@once` runs once, at `start` (Airflow's OnceTimetable takes the backfill's start as its date);
 * - a manual or dataset-triggered schedule has no intervals: refused.
 * Not bounded by any *now*: the caller decides whether future intervals make sense. Throws for an
 * empty range.
 *
 * ```ts
 * backfillIntervals(spec, new Date('2021-02-05T00:00:00Z'), new Date('2021-02-07T00:00:00Z')); // 02-05, 02-06, 02-07
 * ```
 */
export function backfillIntervals(spec: ScheduleSpec, start: Date, end: Date, opts?: BackfillOptions): DataInterval[] {
  return compileSchedule(spec).backfillIntervals(start, end, opts);
}

/**
 * The data interval of a manual run at `date`, as Airflow 2 infers it for `airflow dags test DAG
 * DATE` and `airflow dags trigger` (`infer_manual_data_interval`): the last complete scheduled
 * interval *ending* at or before `date` (a period schedule: the period ending at `date`); manual,
 * `@once` and dataset schedules: [date, date]. The run's logical date stays `date`.
 *
 * ```ts
 * manualInterval(daily, new Date('2021-02-05T00:00:00Z')); // [2021-02-04, 2021-02-05)
 * ```
 */
export function manualInterval(spec: ScheduleSpec, date: Date): DataInterval {
  return compileSchedule(spec).manualInterval(date);
}

/**
 * The scheduled interval before `interval` (for `prev_ds`): it starts at the last fire before
 * `interval.start`, even on the DAG's first interval (as Airflow's `dag.previous_schedule`, which
 * ignores startDate). Null for manual, `@once` and dataset schedules.
 */
export function previousInterval(spec: ScheduleSpec, interval: DataInterval): DataInterval | null {
  return compileSchedule(spec).previousInterval(interval);
}

/**
 * The scheduled interval after `interval` (for `next_ds`): it starts at the last fire at or before
 * `interval.end`. Like Airflow's `next_dagrun_info(restricted=False)` it ignores endDate, so the
 * last interval still has a `next_ds`. Null for manual and `@once` schedules.
 */
export function followingInterval(spec: ScheduleSpec, interval: DataInterval): DataInterval | null {
  return compileSchedule(spec).followingInterval(interval);
}

/**
 * The scheduled interval containing `date` (start <= date < end), for commands given a logical
 * date such as `dagbox dags test DAG 2021-02-05`; a date inside an interval picks that interval.
 * Not bounded by startDate/endDate, as Airflow's `dags test` is not. Manual and `@once`
 * schedules have no intervals: the result is [date, date], as Airflow infers for them.
 */
export function intervalAt(spec: ScheduleSpec, date: Date): DataInterval {
  return compileSchedule(spec).intervalAt(date);
}

function dueSpans(tt: Timetable, bounds: Bounds, now: number, last: Span | null, limit: number | undefined): Span[] {
  if (limit === 0) return [];
  // With a limit, start near the end instead of walking every interval since startDate.
  const earliest = limit !== undefined && tt.kind === 'interval' && bounds.catchup ? startOfLastN(tt, bounds, now, limit) : null;
  const spans: Span[] = [];
  let previous = last;
  for (let run = nextRun(tt, bounds, previous, earliest, now); run; run = nextRun(tt, bounds, previous, earliest, now)) {
    advancing(previous, run, tt);
    spans.push(run);
    previous = run;
  }
  return limit === undefined ? spans : spans.slice(Math.max(0, spans.length - limit));
}

/** A start no later than that of the N-th last due interval (one spare, so the forward walk decides). */
function startOfLastN(tt: IntervalTimetable, bounds: Bounds, now: number, n: number): number {
  const top = bounds.end === null ? now : Math.min(now, tt.next(tt.alignPrev(bounds.end)));
  let x = tt.alignPrev(top);
  for (let i = 0; i <= n; i++) x = tt.prev(x);
  return x;
}

function backfillSpans(tt: Timetable, bounds: Bounds, start: number, end: number, opts: BackfillOptions): RunSpan[] {
  const endExclusive = opts.endExclusive === true;
  if (tt.kind === 'manual' || tt.kind === 'datasets') {
    const what = tt.kind === 'manual' ? 'manual (null or "none")' : 'triggered by datasets';
    throw new Error(
      `cannot backfill a DAG whose schedule is ${what}: it has no scheduled intervals; give it a schedule such as "@daily", or trigger runs with \`dagbox dags trigger DAG\``,
    );
  }
  const range = endExclusive ? `[${iso(start)}, ${iso(end)})` : `[${iso(start)}, ${iso(end)}]`;
  if (endExclusive ? !(start < end) : !(start <= end)) {
    throw new Error(
      endExclusive
        ? `the backfill range ${range} is empty: the end is excluded, so it must be after the start; to run the interval starting at ${iso(start)}, set the end one interval later`
        : `the backfill range ${range} is empty: the end date is before the start date`,
    );
  }
  if (opts.withinDagDates && tt.kind === 'once') {
    const at = bounds.start;
    const inRange = at >= start && (endExclusive ? at < end : at <= end) && (bounds.end === null || at <= bounds.end);
    return inRange ? [{ runAfter: at, start: at, end: at }] : [];
  }
  // Airflow's backfill restriction: earliest = the range's start (not the DAG's startDate), latest = its end.
  const restriction: Bounds = opts.withinDagDates
    ? { start: Math.max(start, bounds.start), end: min(bounds.end, endExclusive ? null : end), catchup: true }
    : { start, end: endExclusive ? null : end, catchup: true };
  const spans: RunSpan[] = [];
  let previous: RunSpan | null = null;
  for (let run = nextRun(tt, restriction, null, null, null); run && (!endExclusive || run.start < end); run = nextRun(tt, restriction, run, null, null)) {
    advancing(previous, run, tt);
    spans.push(run);
    previous = run;
  }
  const late = bounds.end === null ? undefined : spans.find((s) => s.start > bounds.end!);
  if (late) {
    throw new Error(
      `the backfill range ${range} holds logical date ${iso(late.start)}, after the DAG's endDate ${iso(bounds.end!)}; ` +
        "Airflow 2 would create that run and then deadlock (its tasks never pass the end-date check), so dagbox refuses; end the range at or before the DAG's endDate",
    );
  }
  return spans;
}

/** A loop over intervals must move forward; fail loudly rather than spin if a primitive ever misbehaves. */
function advancing(previous: Span | null, run: Span, tt: Timetable): void {
  if (previous !== null && run.start <= previous.start) {
    const what = tt.kind === 'interval' ? `"${tt.summary}"` : tt.kind;
    throw new Error(`internal error: schedule ${what} produced ${iso(run.start)} after ${iso(previous.start)}; please report this with the schedule and time zone`);
  }
}

function previousSpan(tt: Timetable, current: Span): Span | null {
  if (tt.kind !== 'interval') return null;
  const start = tt.prev(current.start);
  return { start, end: tt.next(start) };
}

function followingSpan(tt: Timetable, current: Span): Span | null {
  if (tt.kind !== 'interval') return null;
  const start = tt.alignPrev(current.end);
  return { start, end: tt.next(start) };
}

function spanAt(tt: Timetable, date: number): Span {
  if (tt.kind !== 'interval') return { start: date, end: date };
  const start = tt.alignPrev(date);
  return { start, end: tt.next(start) };
}

function interval(s: Span): DataInterval {
  return { start: new Date(s.start), end: new Date(s.end) };
}

function nullable(s: Span | null): DataInterval | null {
  return s && interval(s);
}

function span(i: DataInterval, what: string): Span {
  if (!i || typeof i !== 'object') throw new Error(`expected ${what} to be a data interval { start: Date, end: Date }, found ${String(i)}`);
  return { start: instant(i.start, `${what}.start`), end: instant(i.end, `${what}.end`) };
}

function instant(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (Number.isNaN(t)) throw new Error(`expected ${what} to be a valid Date, found ${d instanceof Date ? 'an invalid Date' : String(d)}; parse strings with parseDate()`);
  return t;
}

function optionalInstant(d: Date | null | undefined, what: string): number | null {
  return d === null || d === undefined ? null : instant(d, what);
}

function limitOf(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`expected limit to be a whole number >= 0, found ${String(limit)}`);
  return limit;
}

function min(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
