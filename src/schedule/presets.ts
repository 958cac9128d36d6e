import { didYouMean } from '../shared/suggest.ts';

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

/** What a schedule string means, before any time zone is applied. */
export type ScheduleKind = { kind: 'manual' } | { kind: 'once' } | { kind: 'cron'; expression: string };

/**
 * Classify a schedule: `null`, `'none'` (Airflow's `None`) or `'@none'` are manual; `@once`; a
 * preset or a cron expression. Throws an Error for an unknown `@` preset, suggesting the nearest.
 *
 * ```ts
 * classifySchedule('@daily'); // { kind: 'cron', expression: '0 0 * * *' }
 * ```
 */
export function classifySchedule(schedule: string | null): ScheduleKind {
  if (schedule === null || schedule === undefined) return { kind: 'manual' };
  if (typeof schedule !== 'string') {
    throw new Error(`expected the schedule to be a cron string, a preset such as "@daily", or null for manual runs, found ${describe(schedule)}`);
  }
  const s = schedule.trim();
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

function describe(value: unknown): string {
  return value instanceof Date ? `a Date` : `${typeof value} ${JSON.stringify(value)}`;
}
