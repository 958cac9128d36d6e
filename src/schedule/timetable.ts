import { compileCron, CronSyntaxError, type CronFields } from './cron-fields.ts';
import { classifySchedule, type Schedule } from './presets.ts';
import { timeZone, type TimeZone, type WallResolution } from './time-zone.ts';

const DAY_MS = 86_400_000;

/**
 * The four primitives Airflow's `_DataIntervalTimetable` builds `next_dagrun_info` on. Times are
 * epoch milliseconds; a *fire* is an instant the schedule names (an interval boundary).
 */
export interface IntervalTimetable {
  readonly kind: 'interval';
  /** The cron expression (presets expanded), for messages. */
  readonly summary: string;
  /** Smallest fire >= t (Airflow's `_align_to_next`). */
  alignNext(t: number): number;
  /** Largest fire <= t (`_align_to_prev`). */
  alignPrev(t: number): number;
  /** Smallest fire > t (`_get_next`). */
  next(t: number): number;
  /** Largest fire < t (`_get_prev`). */
  prev(t: number): number;
  /**
   * Start of the latest interval complete at `now`, before startDate is applied: Airflow's
   * `_skip_to_latest` for catchup=false (a cron steps back from `now`; a period rounds `now` down
   * to a multiple of itself since the epoch, then steps back one period).
   */
  latestStart(now: number): number;
  /**
   * The data interval Airflow infers for a manual run at `runAfter` (`infer_manual_data_interval`):
   * the last complete interval ending at or before it (a period: the one ending exactly at it).
   */
  manualInterval(runAfter: number): { start: number; end: number };
}

/**
 * A schedule with the time zone applied: manual (no scheduled runs), `@once`, triggered by
 * datasets (no scheduled runs either: a producer's success triggers them), or periodic intervals.
 */
export type Timetable =
  | { readonly kind: 'manual' }
  | { readonly kind: 'once' }
  | { readonly kind: 'datasets'; readonly datasets: readonly string[] }
  | IntervalTimetable;

/**
 * The timetable for a schedule string in a time zone. Throws an Error whose message says what is
 * wrong (unknown preset, cron-parser's reason, unknown time zone).
 *
 * ```ts
 * const tt = timetableFor('0 2 * * *', 'Asia/Seoul');
 * ```
 */
export function timetableFor(schedule: Schedule, timezone: string): Timetable {
  const zone = timeZone(timezone);
  const kind = classifySchedule(schedule);
  if (kind.kind === 'delta') return deltaTimetable(kind.ms, kind.text);
  if (kind.kind !== 'cron') return kind;
  try {
    return cronTimetable(compileCron(kind.expression), zone);
  } catch (error) {
    if (!(error instanceof CronSyntaxError)) throw error;
    const preset = schedule !== kind.expression ? ` (preset ${schedule})` : '';
    throw new Error(
      `invalid cron schedule "${kind.expression}"${preset}: ${error.reason}. ` +
        'Use "minute hour day-of-month month day-of-week" such as "0 2 * * *", a preset such as "@daily", or null for manual runs',
      { cause: error },
    );
  }
}

/**
 * A fixed period (Airflow's `DeltaDataIntervalTimetable`, `schedule=timedelta(hours=48)`): every
 * interval is `period` long in real time, whatever the time zone does, and intervals are not
 * aligned to any clock time: the first starts at startDate (or the backfill's start), each next
 * one where the last ended. Alignment is the identity, as in Airflow.
 *
 * ```ts
 * const tt = deltaTimetable(2 * 3_600_000, '2h');
 * tt.next(Date.UTC(2021, 1, 5)); // Date.UTC(2021, 1, 5, 2)
 * ```
 */
export function deltaTimetable(period: number, text: string): IntervalTimetable {
  return {
    kind: 'interval',
    summary: `every ${text}`,
    next: (t) => t + period,
    prev: (t) => t - period,
    alignNext: (t) => t,
    alignPrev: (t) => t,
    latestStart: (now) => now - mod(now, period) - period,
    manualInterval: (runAfter) => ({ start: runAfter - period, end: runAfter }),
  };
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * Fires of a cron expression read in a time zone, as a set of instants:
 * - a wall time that exists once fires once;
 * - a wall time skipped by a spring-forward jump fires at the same wall time moved forward by the
 *   gap (`30 2 * * *` on 2021-03-14 in New York fires at 03:30 EDT), as Airflow and cron-parser do;
 * - a wall time repeated by an autumn fall-back fires on its *second* occurrence only (Airflow's
 *   `make_aware` sets `fold=1`: `30 1 * * *` on 2021-11-07 in New York fires at 01:30 EST), unless
 *   the expression matches every hour (`0 * * * *`), whose runs then follow the real hours: both
 *   01:00 EDT and 01:00 EST fire. This is Airflow's `_covers_every_hour` rule.
 * Because `next`/`prev` search this one set, intervals [fire_i, fire_i+1) never repeat, overlap
 * or leave holes, whatever the zone does.
 */
export function cronTimetable(cron: CronFields, zone: TimeZone): IntervalTimetable {
  const fires = (r: WallResolution): number[] => (cron.everyHour ? r.instants : r.instants.slice(-1));

  function next(t: number): number {
    // Before a fall-back, wall times earlier than now's can still happen later (in the repeated hour);
    // just after a spring-forward, a wall time inside the gap happens later than it reads (moved forward).
    const offset = zone.offsetAt(t);
    const foldAhead = Math.max(0, offset - zone.offsetAt(t + DAY_MS));
    const gapBehind = Math.max(0, offset - zone.offsetAt(t - DAY_MS));
    let cursor = t + offset - foldAhead - gapBehind;
    let best = Infinity;
    let stop = Infinity;
    for (;;) {
      const wall = cron.nextMatch(cursor);
      if (wall > stop) return best;
      cursor = wall;
      const r = zone.resolve(wall);
      for (const f of fires(r)) if (f > t && f < best) best = f;
      if (best !== Infinity && stop === Infinity) {
        if (r.shift === 0) return best;
        // Near a DST change a later wall time can be an earlier instant (a time moved out of a gap,
        // or the second run of a repeated hour): keep looking as far as the change is large.
        stop = wall + r.shift;
      }
    }
  }

  function prev(t: number): number {
    const offset = zone.offsetAt(t);
    const foldBehind = Math.max(0, zone.offsetAt(t - DAY_MS) - offset);
    let cursor = t + offset + foldBehind;
    let best = -Infinity;
    let stop = -Infinity;
    for (;;) {
      const wall = cron.prevMatch(cursor);
      if (wall < stop) return best;
      cursor = wall;
      const r = zone.resolve(wall);
      for (const f of fires(r)) if (f < t && f > best) best = f;
      if (best !== -Infinity && stop === -Infinity) {
        if (r.shift === 0) return best;
        stop = wall - r.shift;
      }
    }
  }

  // Fires are whole minutes, so "at or after t" is "after t - 1 ms".
  const alignNext = (t: number): number => next(t - 1);
  const alignPrev = (t: number): number => prev(t + 1);
  return {
    kind: 'interval',
    summary: cron.expression,
    next,
    prev,
    alignNext,
    alignPrev,
    latestStart: (now) => prev(alignPrev(now)),
    manualInterval: (runAfter) => {
      const end = alignPrev(runAfter);
      return { start: prev(end), end };
    },
  };
}
