import type { DataInterval } from '../dag/types.ts';
import { nextRun, type Bounds, type RunSpan, type Span } from './next-dagrun-info.ts';
import { timetableFor, type IntervalTimetable, type Timetable } from './timetable.ts';
import type { DagRunInfo, ScheduleSpec, TimeRestriction } from './types.ts';

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
  backfillIntervals(start: Date, end: Date): DataInterval[];
  /** See {@link previousInterval}. */
  previousInterval(interval: DataInterval): DataInterval | null;
  /** See {@link followingInterval}. */
  followingInterval(interval: DataInterval): DataInterval | null;
  /** See {@link intervalAt}. */
  intervalAt(date: Date): DataInterval;
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
    backfillIntervals: (start, end) => backfillSpans(timetable, bounds, instant(start, 'backfill start'), instant(end, 'backfill end')).map(interval),
    previousInterval: (i) => nullable(previousSpan(timetable, bounds, span(i, 'interval'))),
    followingInterval: (i) => nullable(followingSpan(timetable, span(i, 'interval'))),
    intervalAt: (date) => interval(spanAt(timetable, instant(date, 'date'))),
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
export function scheduleError(schedule: string | null, timezone: string): string | null {
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

/**
 * Backfill: the intervals whose logical date (= start) lies in [start, end), END EXCLUDED as the
 * course notes teach (Airflow's CLI includes it), ignoring catchup, bounded by startDate and
 * endDate, oldest first. Not bounded by any *now*: the caller decides whether future intervals
 * make sense. `@once`: its single run when startDate is in range. Throws for manual schedules and
 * for an empty range (start >= end).
 *
 * ```ts
 * backfillIntervals(spec, new Date('2021-02-05T00:00:00Z'), new Date('2021-02-08T00:00:00Z')); // 3 daily intervals
 * ```
 */
export function backfillIntervals(spec: ScheduleSpec, start: Date, end: Date): DataInterval[] {
  return compileSchedule(spec).backfillIntervals(start, end);
}

/**
 * The scheduled interval before `interval` (for `prev_ds`): it starts at the last fire before
 * `interval.start`. Null for manual and `@once` schedules, and when it would start before the
 * first scheduled interval (startDate aligned).
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

function backfillSpans(tt: Timetable, bounds: Bounds, start: number, end: number): RunSpan[] {
  if (tt.kind === 'manual') {
    throw new Error('cannot backfill a DAG whose schedule is manual (null or "none"): it has no scheduled intervals; give it a schedule such as "@daily", or trigger runs with `dagbox dags test DAG DATE`');
  }
  if (!(start < end)) {
    throw new Error(
      `the backfill range [${iso(start)}, ${iso(end)}) is empty: the end is excluded, so it must be after the start; to run the interval starting at ${iso(start)}, set the end one interval later`,
    );
  }
  const always: Bounds = { ...bounds, catchup: true };
  const spans: RunSpan[] = [];
  let previous: RunSpan | null = null;
  for (let run = nextRun(tt, always, null, start, null); run && run.start < end; run = nextRun(tt, always, run, start, null)) {
    advancing(previous, run, tt);
    spans.push(run);
    previous = run;
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

function previousSpan(tt: Timetable, bounds: Bounds, current: Span): Span | null {
  if (tt.kind !== 'interval') return null;
  const start = tt.prev(current.start);
  if (start < tt.alignNext(bounds.start)) return null;
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

function iso(t: number): string {
  return new Date(t).toISOString();
}
