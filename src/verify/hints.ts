import type { ColumnInfo, DiffRow } from './types.ts';

/** How close to the machine's clock a timestamp must be to count as "now" (time zones included). */
const NEAR_WALL_CLOCK_MS = 36 * 3600_000;

/**
 * The wall-clock hint: the changed values of `column` (both sides of every changed sample row)
 * lie near the real time, not near the run's logical dates. Then the column is almost certainly
 * filled by `now()` / `DEFAULT now()` / `CURRENT_TIMESTAMP`, which no re-run can reproduce.
 */
export function wallClockHint(table: string, column: ColumnInfo, samples: readonly DiffRow[], now = Date.now()): string | null {
  if (column.family !== 'timestamp') return null;
  const values = samples
    .filter((s) => s.kind === 'changed' && s.changedColumns.includes(column.name))
    .flatMap((s) => [s.before?.[column.name] ?? null, s.after?.[column.name] ?? null]);
  if (values.length === 0) return null;
  const times = values.map(parseDbTime);
  if (times.some((t) => t === null || Math.abs(t - now) > NEAR_WALL_CLOCK_MS)) return null;
  const example = values.at(-1)!;
  return (
    `${table}.${column.name} differs only in values near the wall-clock time (${example}), not near the run's logical date: ` +
    `it is probably filled by now() / DEFAULT now() / CURRENT_TIMESTAMP, so no re-run can reproduce it. ` +
    `Take the value from the logical date instead ({{ data_interval_end }} or ctx.dataIntervalEnd), ` +
    `or leave the column out of verification: verify: { ignore: { '${table}': ['${column.name}'] } }`
  );
}

/** The generated-key hint: rows are the same but for values the database numbered in load order. */
export function generatedKeyHint(table: string, columns: readonly string[]): string {
  const list = columns.join(', ');
  return (
    `${table}: the rows are the same apart from ${list}, which the database generates (serial, identity or AUTO_INCREMENT) ` +
    `in the order rows are loaded. Identify rows by their natural key instead: verify: { keys: { '${table}': [...] }, ignore: { '${table}': [${columns.map((c) => `'${c}'`).join(', ')}] } }`
  );
}

/** A timestamp as databases print it (`2021-02-05 01:02:03.456+00`, `2021-02-05`), as epoch ms; null if it is not one. */
export function parseDbTime(text: string | null): number | null {
  if (text === null) return null;
  let s = text.trim();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s);
  if (!m) return null;
  const [, date, time = '00:00:00', zone] = m;
  let offset = 'Z';
  if (zone && zone !== 'Z') offset = zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  s = `${date}T${time}${offset}`;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : ms;
}
