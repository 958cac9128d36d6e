import { didYouMean } from '../shared/suggest.ts';
import { parseDuration } from './duration.ts';

/**
 * Schedule presets and their cron expressions, as Airflow's `cron_presets` (plus croniter's
 * `@annually` and `@midnight`). `@once` and manual schedules are not cron and are handled apart.
 */
export const CRON_PRESETS: Readonly<Record<string, string>> = Object.freeze({
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
});

/** Every preset name a schedule may use, for messages and suggestions. */
export const PRESET_NAMES: readonly string[] = Object.freeze(['@once', ...Object.keys(CRON_PRESETS)]);

/** What a schedule means, before any time zone is applied. */
export type ScheduleKind =
  | { kind: 'manual' }
  | { kind: 'once' }
  | { kind: 'cron'; expression: string }
  | { kind: 'delta'; ms: number; text: string }
  | { kind: 'datasets'; datasets: string[] };

/**
 * A schedule as a DAG declares it: a cron expression or preset; a fixed period (`'48h'`,
 * `{ every: '2h' }`: Airflow's `timedelta` schedule); a list of datasets whose update triggers a
 * run (Airflow's `schedule=[Dataset(...)]`); or null / `'none'` for manual runs only.
 */
export type Schedule = string | null | { every: string | number } | readonly string[];

// A duration string is a fixed period, never a cron expression (cron needs five fields).
const DURATION_TEXT = /^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$/i;

/**
 * Classify a schedule: `null`, `'none'` (Airflow's `None`) or `'@none'` are manual; `@once`; a
 * preset or a cron expression. Throws an Error for an unknown `@` preset, suggesting the nearest.
 *
 * ```ts
 * classifySchedule('@daily'); // { kind: 'cron', expression: '0 0 * * *' }
 * ```
 */
export function classifySchedule(schedule: Schedule): ScheduleKind {
  if (schedule === null || schedule === undefined) return { kind: 'manual' };
  if (Array.isArray(schedule)) return datasetsOf(schedule);
  if (typeof schedule === 'object' && schedule !== null && 'every' in schedule && Object.keys(schedule).length === 1) {
    return deltaOf((schedule as { every: string | number }).every, `{ every: ${JSON.stringify((schedule as { every: unknown }).every)} }`);
  }
  if (typeof schedule !== 'string') {
    throw new Error(
      `expected the schedule to be a cron string, a preset such as "@daily", a period such as "48h" or { every: '2h' }, a list of datasets, or null for manual runs, found ${describe(schedule)}`,
    );
  }
  const s = schedule.trim();
  if (DURATION_TEXT.test(s)) return deltaOf(s, `"${s}"`);
  const lower = s.toLowerCase();
  if (lower === 'none' || lower === '@none') return { kind: 'manual' };
  if (lower === '@once') return { kind: 'once' };
  if (s.startsWith('@')) {
    const expression = CRON_PRESETS[lower];
    if (expression) return { kind: 'cron', expression };
    throw new Error(`unknown schedule preset "${s}"${didYouMean(lower, PRESET_NAMES)}; presets are ${PRESET_NAMES.join(', ')}, or use a cron expression or null`);
  }
  return { kind: 'cron', expression: s };
}

/**
 * A schedule as one line of text, for listings: `'@daily'`, `'0 2 * * *'`, `'every 2h'`,
 * `'datasets raw_data.a, raw_data.b'` or `'none'`.
 */
export function describeSchedule(schedule: Schedule | undefined): string {
  if (schedule === null || schedule === undefined) return 'none';
  if (Array.isArray(schedule)) return `datasets ${schedule.join(', ')}`;
  if (typeof schedule === 'object' && 'every' in schedule) return `every ${String(schedule.every)}`;
  return String(schedule);
}

/** True when the schedule makes intervals on its own (cron, preset, period or `@once`), not manual or dataset-triggered. */
export function isTimeBased(schedule: Schedule | undefined): boolean {
  try {
    const kind = classifySchedule(schedule ?? null).kind;
    return kind !== 'manual' && kind !== 'datasets';
  } catch {
    return false;
  }
}

function deltaOf(value: string | number, shown: string): ScheduleKind {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new Error(`the schedule ${shown} is not a period: ${(error as Error).message}`, { cause: error });
  }
  if (!(ms >= 1000)) throw new Error(`the schedule ${shown} is a period of ${ms} ms; a period schedule must be at least one second, as a timedelta that never advances would run forever`);
  return { kind: 'delta', ms, text: typeof value === 'number' ? `${value}ms` : String(value).trim() };
}

function datasetsOf(list: readonly unknown[]): ScheduleKind {
  if (list.length === 0) throw new Error('the schedule is an empty list of datasets; list the tables or S3 prefixes whose update triggers this DAG, or use null for manual runs');
  const bad = list.find((d) => typeof d !== 'string' || d.trim() === '');
  if (bad !== undefined) throw new Error(`a dataset schedule lists tables or S3 prefixes as strings, such as 'raw_data.nps' or 's3://bucket/prefix/'; found ${describe(bad)}`);
  return { kind: 'datasets', datasets: list.map((d) => (d as string).trim()) };
}

function describe(value: unknown): string {
  return value instanceof Date ? `a Date` : `${typeof value} ${JSON.stringify(value)}`;
}
