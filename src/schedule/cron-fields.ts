import { CronExpressionParser } from 'cron-parser';

/**
 * A five-field cron expression compiled to lookup tables, matched against wall times
 * (see time-zone.ts). cron-parser parses and validates; matching is done here because
 * cron-parser's own iteration costs ~0.1 ms per step and its `prev()` disagrees with
 * `next()` around DST changes, while schedules need both to agree exactly.
 */
export interface CronFields {
  readonly expression: string;
  /** True when every hour of the day matches: such schedules also fire in a repeated hour. */
  readonly everyHour: boolean;
  /** Smallest matching wall time (whole minute) strictly after `wall`. */
  nextMatch(wall: number): number;
  /** Largest matching wall time (whole minute) strictly before `wall`. */
  prevMatch(wall: number): number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A valid expression fires at least every 28 years (the Gregorian weekday/leap cycle). */
const SEARCH_HORIZON_MS = 29 * 366 * DAY_MS;

/** Thrown for an expression cron-parser rejects or dagbox does not accept; `reason` is the bare cause. */
export class CronSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`invalid cron expression "${expression}": ${reason}`);
  }
}

/**
 * Compile a five-field cron expression (`minute hour day-of-month month day-of-week`).
 * Names (`MON`, `JAN`), ranges, steps, lists, `?`, `L` and `#` work as in cron-parser; day of
 * month and day of week combine with OR when both are restricted, as in Vixie cron and croniter.
 *
 * ```ts
 * const c = compileCron('0 2 * * *');
 * new Date(c.nextMatch(Date.UTC(2021, 1, 5))).toISOString(); // '2021-02-05T02:00:00.000Z' (a wall time)
 * ```
 */
export function compileCron(expression: string): CronFields {
  const fields = parseFields(expression);
  const minutes = table(fields.minute.values as number[], 60);
  const hours = table(fields.hour.values as number[], 24);
  const months = table(fields.month.values as number[], 13);
  const day = dayMatcher(fields);
  const everyHour = hours.every(Boolean);

  function nextMatch(wall: number): number {
    const limit = wall + SEARCH_HORIZON_MS;
    let t = Math.floor(wall / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    for (;;) {
      if (t > limit) throw neverFires(expression);
      const d = new Date(t);
      const y = d.getUTCFullYear(), mo = d.getUTCMonth(), dd = d.getUTCDate(), h = d.getUTCHours(), mi = d.getUTCMinutes();
      if (!months[mo + 1]) t = Date.UTC(y, mo + 1, 1);
      else if (!day(y, mo, dd, d.getUTCDay())) t = Date.UTC(y, mo, dd + 1);
      else if (!hours[h]) t = after(hours, h) < 24 ? Date.UTC(y, mo, dd, after(hours, h)) : Date.UTC(y, mo, dd + 1);
      else if (!minutes[mi]) t = after(minutes, mi) < 60 ? Date.UTC(y, mo, dd, h, after(minutes, mi)) : Date.UTC(y, mo, dd, h + 1);
      else return t;
    }
  }

  function prevMatch(wall: number): number {
    const limit = wall - SEARCH_HORIZON_MS;
    let t = Math.ceil(wall / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
    for (;;) {
      if (t < limit) throw neverFires(expression);
      const d = new Date(t);
      const y = d.getUTCFullYear(), mo = d.getUTCMonth(), dd = d.getUTCDate(), h = d.getUTCHours(), mi = d.getUTCMinutes();
      const dayStart = Date.UTC(y, mo, dd);
      if (!months[mo + 1]) t = Date.UTC(y, mo, 1) - MINUTE_MS;
      else if (!day(y, mo, dd, d.getUTCDay())) t = dayStart - MINUTE_MS;
      else if (!hours[h]) t = before(hours, h) >= 0 ? dayStart + before(hours, h) * HOUR_MS + 59 * MINUTE_MS : dayStart - MINUTE_MS;
      else if (!minutes[mi]) t = before(minutes, mi) >= 0 ? dayStart + h * HOUR_MS + before(minutes, mi) * MINUTE_MS : dayStart + h * HOUR_MS - MINUTE_MS;
      else return t;
    }
  }

  return { expression, everyHour, nextMatch, prevMatch };
}

type ParsedFields = ReturnType<typeof CronExpressionParser.parse>['fields'];

function parseFields(expression: string): ParsedFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new CronSyntaxError(
      expression,
      `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}` +
        (parts.length === 6 ? '; a seconds field is not supported because cron-parser and Airflow\'s croniter put it at opposite ends' : ''),
    );
  }
  if (parts.some((part) => /(^|[^a-z])h([^a-z]|$)/i.test(part))) {
    throw new CronSyntaxError(expression, '"H" (hashed) values are not supported because they would make the schedule depend on a random seed');
  }
  try {
    // currentDate is fixed so parsing never reads the clock; only the fields are used.
    return CronExpressionParser.parse(expression, { currentDate: 0, strict: false }).fields;
  } catch (error) {
    throw new CronSyntaxError(expression, (error as Error).message);
  }
}

function table(values: readonly (number | string)[], size: number): boolean[] {
  const t = new Array<boolean>(size).fill(false);
  for (const v of values) if (typeof v === 'number') t[v] = true;
  return t;
}

/** First index after `i` set in `t`, or t.length. */
function after(t: readonly boolean[], i: number): number {
  let j = i + 1;
  while (j < t.length && !t[j]) j++;
  return j;
}

/** Last index before `i` set in `t`, or -1. */
function before(t: readonly boolean[], i: number): number {
  let j = i - 1;
  while (j >= 0 && !t[j]) j--;
  return j;
}

/** The day-of-month / day-of-week rule of cron-parser (and Vixie cron), including `L` and `#`. */
function dayMatcher(fields: ParsedFields): (year: number, month: number, date: number, weekday: number) => boolean {
  const dom = fields.dayOfMonth;
  const dow = fields.dayOfWeek;
  const domValues: readonly (number | string)[] = dom.values;
  const dowValues: readonly (number | string)[] = dow.values;
  const domTable = table(domValues.filter((v) => typeof v === 'number'), 32);
  const domLast = dom.hasLastChar;
  const dowTable = table(dowValues.filter((v) => typeof v === 'number').map((v) => v % 7), 7);
  // '5L' is "the last Friday of the month".
  const dowLast = table(dowValues.filter((v) => typeof v === 'string' && v.endsWith('L')).map((v) => parseInt(String(v), 10) % 7), 7);
  const nth = dow.nthDay;
  const domRestricted = !dom.isWildcard;
  const dowRestricted = !dow.isWildcard;

  return (year, month, date, weekday) => {
    const domMatch = domTable[date]! || (domLast && date === daysIn(year, month));
    const dowMatch =
      (dowTable[weekday]! && (nth <= 0 || Math.ceil(date / 7) === nth)) || (dowLast[weekday]! && date + 7 > daysIn(year, month));
    if (domRestricted && dowRestricted) return domMatch || dowMatch;
    if (!dowRestricted) return domMatch;
    return dowMatch;
  };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function neverFires(expression: string): CronSyntaxError {
  return new CronSyntaxError(expression, 'it never fires (no date matches its day, month and weekday fields)');
}
