import { timeZone } from './time-zone.ts';

// The backreference makes '2021-02-05' and '20210205' valid but not '2021-0205'.
const DATE_ONLY = /^(\d{4})(-?)(\d{2})\2(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Parse a DAG or command-line date. Accepts a Date; `'2021-02-05'` (or `'20210205'`);
 * `'2021-02-05T03:00'` with optional seconds and fraction (a space may replace the `T`); or
 * either with an offset (`Z`, `+09:00`). A date without an offset is a wall-clock time in
 * `timezone`: `parseDate('2021-02-05', 'Asia/Seoul')` is 2021-02-04T15:00Z. A wall time skipped by
 * a DST jump moves forward by the gap; a repeated one means its second occurrence (the later
 * offset), as pendulum's default `POST_TRANSITION` rule reads it in Airflow. Throws an Error
 * with a sentence saying what was expected and what was found.
 *
 * ```ts
 * parseDate('2021-02-05', 'UTC').toISOString(); // '2021-02-05T00:00:00.000Z'
 * ```
 */
export function parseDate(value: string | Date, timezone: string): Date {
  const zone = timeZone(timezone);
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('expected a valid Date, found an invalid Date (new Date() of an unparsable string?)');
    return new Date(value.getTime());
  }
  if (typeof value !== 'string') throw formatError(value);
  const text = value.trim();
  const fields = dateFields(text);
  if (!fields) throw formatError(value);
  checkCalendar(text, fields);
  const [y, mo, d, h, mi, s, ms, offset] = fields;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (offset !== undefined) return new Date(wall - offset);
  return new Date(zone.resolve(wall).instants.at(-1)!);
}

type Fields = [year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, offset: number | undefined];

function dateFields(text: string): Fields | null {
  const date = DATE_ONLY.exec(text);
  if (date) return [Number(date[1]), Number(date[3]), Number(date[4]), 0, 0, 0, 0, undefined];
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms, m[8] ? offsetMs(m[8]) : undefined];
}

function offsetMs(text: string): number {
  if (text.toUpperCase() === 'Z') return 0;
  const digits = text.slice(1).replace(':', '');
  const ms = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  return text[0] === '-' ? -ms : ms;
}

function checkCalendar(text: string, [y, mo, d, h, mi, s]: Fields): void {
  if (mo < 1 || mo > 12) throw new Error(`"${text}" is not a date: month ${mo} is not between 1 and 12`);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d < 1 || d > days) throw new Error(`"${text}" is not a date: ${MONTHS[mo - 1]} ${y} has days 1 to ${days}, found ${d}`);
  if (h > 23 || mi > 59 || s > 59) throw new Error(`"${text}" is not a time of day: expected hours 00-23, minutes and seconds 00-59`);
}

function formatError(value: unknown): Error {
  const found = typeof value === 'string' ? `"${value}"` : `${typeof value} ${String(value)}`;
  return new Error(`expected a date such as "2021-02-05", "2021-02-05T03:00" or "2021-02-05T03:00:00+09:00", found ${found}`);
}
