import type { IntervalTimetable, Timetable } from './timetable.ts';

/** Epoch-ms form of a data interval, used inside the schedule core. */
export interface Span {
  start: number;
  end: number;
}

/** Epoch-ms form of a DagRunInfo. */
export interface RunSpan extends Span {
  runAfter: number;
}

/** The DAG-level bounds of a schedule: startDate, endDate (inclusive for interval starts) and catchup. */
export interface Bounds {
  start: number;
  end: number | null;
  catchup: boolean;
}

/**
 * Airflow 2's `next_dagrun_info`, the one interval algorithm every schedule query is built on.
 *
 * - First run: the interval starting at the first fire >= max(startDate, earliest).
 * - After `last`: the interval starting at the fire at or before `last.end` (re-aligns a run
 *   left by an older schedule), but never before that first start.
 * - catchup=false with a `now` (= `latest`): the first start is raised to the start of the latest
 *   *complete* interval (its end <= now), Airflow's `_skip_to_latest`.
 * - endDate: null when the interval would start after endDate (Airflow: `start > restriction.latest`).
 * - now: null when the run is not yet due (`runAfter > now`).
 * `@once` runs once at startDate with the empty interval [startDate, startDate]; manual and
 * dataset-triggered schedules never run on a schedule.
 */
export function nextRun(tt: Timetable, bounds: Bounds, last: Span | null, earliest: number | null, now: number | null): RunSpan | null {
  if (tt.kind === 'manual' || tt.kind === 'datasets') return null;
  if (tt.kind === 'once') return nextOnce(bounds, last, earliest, now);
  return nextInterval(tt, bounds, last, earliest, now);
}

function nextInterval(tt: IntervalTimetable, bounds: Bounds, last: Span | null, earliest: number | null, now: number | null): RunSpan | null {
  const lower = earliest === null ? bounds.start : Math.max(bounds.start, earliest);
  const skip = !bounds.catchup && now !== null;
  const resume = last === null ? null : tt.alignPrev(last.end);
  // A resumed start is a fire, so when it is >= lower it is already >= the aligned lower bound.
  const start = resume !== null && !skip && resume >= lower ? resume : Math.max(resume ?? -Infinity, skip ? skipToLatest(tt, now, lower) : tt.alignNext(lower));
  if (bounds.end !== null && start > bounds.end) return null;
  const end = tt.next(start);
  if (now !== null && end > now) return null;
  return { runAfter: end, start, end };
}

/** Start of the latest interval complete at `now`, but not before the first aligned start. */
function skipToLatest(tt: IntervalTimetable, now: number, lower: number): number {
  return Math.max(tt.latestStart(now), tt.alignNext(lower));
}

function nextOnce(bounds: Bounds, last: Span | null, earliest: number | null, now: number | null): RunSpan | null {
  const at = bounds.start;
  if (last !== null) return null;
  if (earliest !== null && at < earliest) return null;
  if (bounds.end !== null && at > bounds.end) return null;
  if (now !== null && at > now) return null;
  return { runAfter: at, start: at, end: at };
}
