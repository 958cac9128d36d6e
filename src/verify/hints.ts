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

/**
 * The concurrency hint: runs fail or differ only when they overlap, so they share something each
 * takes for its own. `errors` are the failed runs' errors (a relation they name is the evidence);
 * `tables` the tables that differ.
 */
export function concurrencyHint(runsAtOnce: number, maxActiveRuns: number, errors: readonly string[], tables: readonly string[] = []): string {
  const named = new Set<string>();
  for (const e of errors) for (const m of e.matchAll(/(?:relation|table|Table|type) "?'?([\w.$]+)"?'?/g)) named.add(m[1]!);
  if (errors.some((e) => e.includes('pg_type_typname_nsp_index'))) named.add('a table two runs created under one name at the same moment');
  const shared = named.size > 0 ? `they collide on ${[...named].join(', ')} (named in the errors)` : tables.length > 0 ? `they interleave their writes to ${tables.join(', ')}` : 'they share state';
  return (
    `the runs only go wrong when ${runsAtOnce} of them overlap (maxActiveRuns ${maxActiveRuns}): ${shared}. ` +
    'A staging table, object or name shared by every run is used by two runs at once. Give each run its own ' +
    "(stage_{{ ds_nodash }}, a CREATE TEMP TABLE private to the run's session) and write the target in one transaction, or set maxActiveRuns: 1"
  );
}

/**
 * The nondeterministic-ordering hint: the idempotency re-run, given the same rows in reverse
 * physical order, wrote other rows, and a run in the first order gave the first result back.
 */
export function orderingHint(tables: readonly string[]): string {
  return (
    `nondeterministic ordering: ${tables.join(', ')} depend(s) on the order rows are read in. The re-run read the same rows ` +
    'in reverse physical order (as Redshift, whose slices return rows in no fixed order, may) and wrote other rows; a run in the ' +
    'first order gave the first result back. Look for a LIMIT whose ORDER BY has ties (add a unique tie-breaker: ORDER BY n DESC, id), ' +
    'a query without ORDER BY whose first rows are kept, ROW_NUMBER()/FIRST_VALUE() without a total order, or LISTAGG without WITHIN GROUP'
  );
}
