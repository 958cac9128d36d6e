/**
 * Date formats of Airflow's template context. Airflow renders context dates in UTC, so a
 * Seoul-midnight logical date (15:00 UTC the day before) has the *previous* day as its ds.
 */

/**
 * `YYYY-MM-DD` in UTC (Airflow's `ds`).
 *
 * ```ts
 * formatDs(new Date('2021-02-05T00:00:00Z')); // '2021-02-05'
 * ```
 */
export function formatDs(d: Date): string {
  return isoOf(d).slice(0, 10);
}

/** `YYYYMMDD` in UTC (Airflow's `ds_nodash`): `'20210205'`. */
export function formatDsNodash(d: Date): string {
  return formatDs(d).replaceAll('-', '');
}

/**
 * ISO 8601 in UTC with a numeric offset, as Python's `isoformat()` prints Airflow's `ts`:
 * `'2021-02-05T00:00:00+00:00'`; milliseconds, when present, as microseconds (`.250000`).
 */
export function formatTs(d: Date): string {
  const iso = isoOf(d);
  const ms = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${ms === '000' ? '' : `.${ms}000`}+00:00`;
}

function isoOf(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new Error(`expected a valid Date to format, found ${d instanceof Date ? 'an invalid Date' : String(d)}`);
  return d.toISOString();
}
