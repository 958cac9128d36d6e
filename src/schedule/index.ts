/**
 * dagbox's schedule core: data intervals from cron/preset + startDate + endDate + catchup +
 * time zone, with Airflow 2 semantics. Pure: *now* is always an argument, never `Date.now()`.
 *
 * May import: shared/ only (the pure core: no clock, no I/O) (the layers are checked by
 * .dependency-cruiser.cjs).
 */
export type { ScheduleSpec, DagRunInfo, TimeRestriction } from './types.ts';
export {
  compileSchedule,
  scheduleError,
  nextDagrunInfo,
  dueIntervals,
  backfillIntervals,
  previousInterval,
  followingInterval,
  intervalAt,
  manualInterval,
  type CompiledSchedule,
  type BackfillOptions,
} from './schedule.ts';
export { timetableFor, cronTimetable, deltaTimetable, type Timetable, type IntervalTimetable } from './timetable.ts';
export { CRON_PRESETS, PRESET_NAMES, classifySchedule, describeSchedule, isTimeBased, type ScheduleKind, type Schedule } from './presets.ts';
export { parseDate } from './parse-date.ts';
export { parseDuration } from './duration.ts';
export { formatDs, formatDsNodash, formatTs } from './format.ts';
export { timeZone, type TimeZone } from './time-zone.ts';
