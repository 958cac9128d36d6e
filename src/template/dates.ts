/**
 * The date values of Airflow's template context, with the behaviour templates rely on: pendulum's
 * `DateTime` (time-zone aware, `str()` is ISO 8601 with a `T`), Python's naive `datetime`
 * (`macros.datetime(...)`, `str()` with a space), `date`, `timedelta` and dateutil's
 * `relativedelta`. Times are kept to the millisecond.
 */
import { timeZone, type TimeZone } from '../schedule/time-zone.ts';

const DAY_MS = 86_400_000;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Calendar and clock fields of a wall time. */
interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

function fieldsOf(wall: number): Fields {
  const d = new Date(wall);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds() };
}

function wallOf(f: Fields): number {
  const wall = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.ms);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== f.year || check.getUTCMonth() !== f.month - 1 || check.getUTCDate() !== f.day || f.hour > 23 || f.minute > 59 || f.second > 59) {
    throw new Error(`${f.year}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)} is not a valid date and time`);
  }
  return wall;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/** Python's `%z`: `+0900`, or `''` for a naive time. */
function offsetText(offsetMs: number | null, colon: boolean): string {
  if (offsetMs === null) return '';
  const minutes = Math.round(offsetMs / 60000);
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}${colon ? ':' : ''}${pad(Math.abs(minutes) % 60)}`;
}

/**
 * Python's `strftime` for the directives Airflow users write: `%Y %y %m %d %H %I %M %S %f %p %z %Z
 * %j %a %A %b %B %w %u %%`, with glibc's `-` flag for no padding (`%-d`).
 */
export function strftime(wall: number, offsetMs: number | null, zoneName: string | null, format: unknown): string {
  if (typeof format !== 'string') throw new Error(`strftime expects a format string such as '%Y-%m-%d', found ${JSON.stringify(format)}`);
  const f = fieldsOf(wall);
  const weekday = (new Date(wall).getUTCDay() + 6) % 7;
  const yday = Math.floor((wall - Date.UTC(f.year, 0, 1)) / DAY_MS) + 1;
  return format.replace(/%(-?)(.)/g, (_, flag: string, d: string) => {
    const p = (n: number, w = 2) => (flag === '-' ? String(n) : pad(n, w));
    switch (d) {
      case 'Y': return String(f.year).padStart(4, '0');
      case 'y': return p(f.year % 100);
      case 'm': return p(f.month);
      case 'd': return p(f.day);
      case 'H': return p(f.hour);
      case 'I': return p(f.hour % 12 === 0 ? 12 : f.hour % 12);
      case 'M': return p(f.minute);
      case 'S': return p(f.second);
      case 'f': return pad(f.ms * 1000, 6);
      case 'p': return f.hour < 12 ? 'AM' : 'PM';
      case 'z': return offsetText(offsetMs, false);
      case 'Z': return zoneName ?? '';
      case 'j': return p(yday, 3);
      case 'a': return DAY_NAMES[weekday]!.slice(0, 3);
      case 'A': return DAY_NAMES[weekday]!;
      case 'b': return MONTH_NAMES[f.month - 1]!.slice(0, 3);
      case 'B': return MONTH_NAMES[f.month - 1]!;
      case 'w': return String((weekday + 1) % 7);
      case 'u': return String(weekday + 1);
      case '%': return '%';
      default: throw new Error(`strftime does not support "%${d}"; use %Y %y %m %d %H %I %M %S %f %p %z %Z %j %a %A %b %B %w %u or %%`);
    }
  });
}

const STRPTIME: Record<string, string> = { Y: '(\\d{4})', m: '(\\d{1,2})', d: '(\\d{1,2})', H: '(\\d{1,2})', M: '(\\d{1,2})', S: '(\\d{1,2})', y: '(\\d{2})', f: '(\\d{1,6})' };

/** Python's `datetime.strptime` for `%Y %m %d %H %M %S %y %f %%`: the wall time read. */
export function strptime(text: unknown, format: unknown, who: string): number {
  if (typeof text !== 'string' || typeof format !== 'string') {
    throw new Error(`${who} expects a date string and a format string, found ${JSON.stringify(text)} and ${JSON.stringify(format)}`);
  }
  const order: string[] = [];
  const source = format.replace(/%(.)|([.*+?^${}()|[\]\\])/g, (_, directive: string | undefined, special: string | undefined) => {
    if (special) return `\\${special}`;
    if (directive === '%') return '%';
    const pattern = STRPTIME[directive!];
    if (!pattern) throw new Error(`${who} does not support "%${directive}"; use %Y %m %d %H %M %S %y %f or %%`);
    order.push(directive!);
    return pattern;
  });
  const m = new RegExp(`^${source}$`).exec(text);
  if (!m) throw new Error(`${who}: "${text}" does not match the format "${format}"`);
  const f: Fields = { year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  order.forEach((directive, i) => {
    const raw = m[i + 1]!;
    const v = Number(raw);
    if (directive === 'y') f.year = v < 69 ? 2000 + v : 1900 + v; // Python's %y: 69-99 are 1900s
    else if (directive === 'f') f.ms = Math.floor(Number(raw.padEnd(6, '0')) / 1000);
    else f[({ Y: 'year', m: 'month', d: 'day', H: 'hour', M: 'minute', S: 'second' } as const)[directive as 'Y']] = v;
  });
  try {
    return wallOf(f);
  } catch {
    throw new Error(`${who}: "${text}" is not a valid date for the format "${format}"`);
  }
}

/** Python's `timedelta`, kept in milliseconds. `str()` is Python's: `1 day, 0:00:00`. */
export class TimeDelta {
  constructor(readonly ms: number) {}

  /** `timedelta(days=1, hours=2)`: keyword arguments as Python takes them. */
  static of(parts: Record<string, unknown>, positional: unknown[] = []): TimeDelta {
    const names = ['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks'];
    const unit: Record<string, number> = { days: DAY_MS, seconds: 1000, microseconds: 0.001, milliseconds: 1, minutes: 60000, hours: 3600000, weeks: 7 * DAY_MS };
    let ms = 0;
    positional.forEach((v, i) => (ms += number(v, `timedelta ${names[i]}`) * unit[names[i]!]!));
    for (const [k, v] of Object.entries(parts)) {
      if (!(k in unit)) throw new Error(`timedelta() got an unexpected keyword argument "${k}"; use ${names.join(', ')}`);
      ms += number(v, `timedelta ${k}`) * unit[k]!;
    }
    return new TimeDelta(Math.round(ms));
  }

  get days(): number {
    return Math.floor(this.ms / DAY_MS);
  }

  get seconds(): number {
    return Math.floor((this.ms - this.days * DAY_MS) / 1000);
  }

  get microseconds(): number {
    return (((this.ms % 1000) + 1000) % 1000) * 1000;
  }

  total_seconds(): number {
    return this.ms / 1000;
  }

  toString(): string {
    const days = this.days;
    const rest = this.ms - days * DAY_MS;
    const h = Math.floor(rest / 3600000);
    const m = Math.floor((rest % 3600000) / 60000);
    const s = Math.floor((rest % 60000) / 1000);
    const us = (rest % 1000) * 1000;
    const clock = `${h}:${pad(m)}:${pad(s)}${us ? `.${pad(us, 6)}` : ''}`;
    return days === 0 ? clock : `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${clock}`;
  }
}

/** pendulum's `Period`, the difference of two aware date-times: a timedelta that prints its ends. */
export class Period extends TimeDelta {
  constructor(
    readonly start: PyDateTime,
    readonly end: PyDateTime,
  ) {
    super(end.instant - start.instant);
  }

  in_days(): number {
    return Math.trunc(this.ms / DAY_MS);
  }
  in_hours(): number {
    return Math.trunc(this.ms / 3600000);
  }
  in_minutes(): number {
    return Math.trunc(this.ms / 60000);
  }
  in_seconds(): number {
    return Math.trunc(this.ms / 1000);
  }

  override toString(): string {
    return `<Period [${this.start.toString()} -> ${this.end.toString()}]>`;
  }
}

/** dateutil's `relativedelta`: relative years/months/days/... and absolute year/month/day/... */
export class RelativeDelta {
  constructor(readonly parts: Readonly<Record<string, number>>) {}

  static of(kwargs: Record<string, unknown>): RelativeDelta {
    const allowed = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'microseconds', 'year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'];
    const parts: Record<string, number> = {};
    for (const [k, v] of Object.entries(kwargs)) {
      if (!allowed.includes(k)) throw new Error(`relativedelta() got an unexpected keyword argument "${k}"; use ${allowed.join(', ')}`);
      parts[k] = number(v, `relativedelta ${k}`);
    }
    return new RelativeDelta(parts);
  }

  negate(): RelativeDelta {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.parts)) out[k] = k.endsWith('s') ? -v : v;
    return new RelativeDelta(out);
  }

  /** The wall time moved: absolute fields set, then years and months (day clipped to the month), then the rest. */
  applyToWall(wall: number): number {
    const p = this.parts;
    const f = fieldsOf(wall);
    if (p.year !== undefined) f.year = p.year;
    if (p.month !== undefined) f.month = p.month;
    if (p.hour !== undefined) f.hour = p.hour;
    if (p.minute !== undefined) f.minute = p.minute;
    if (p.second !== undefined) f.second = p.second;
    if (p.microsecond !== undefined) f.ms = Math.floor(p.microsecond / 1000);
    const months = f.year * 12 + (f.month - 1) + (p.years ?? 0) * 12 + (p.months ?? 0);
    f.year = Math.floor(months / 12);
    f.month = (months % 12) + 1;
    f.day = Math.min(p.day ?? f.day, daysInMonth(f.year, f.month));
    const days = (p.weeks ?? 0) * 7 + (p.days ?? 0);
    const ms = (p.hours ?? 0) * 3600000 + (p.minutes ?? 0) * 60000 + (p.seconds ?? 0) * 1000 + (p.microseconds ?? 0) / 1000;
    return wallOf(f) + days * DAY_MS + Math.round(ms);
  }

  toString(): string {
    return `relativedelta(${Object.entries(this.parts).map(([k, v]) => `${k}=${k.endsWith('s') && v > 0 ? '+' : ''}${v}`).join(', ')})`;
  }
}

/** Python's `date`. */
export class PyDate {
  constructor(readonly wall: number) {}

  get year(): number {
    return fieldsOf(this.wall).year;
  }
  get month(): number {
    return fieldsOf(this.wall).month;
  }
  get day(): number {
    return fieldsOf(this.wall).day;
  }

  strftime(format: unknown): string {
    return strftime(this.wall, null, null, format);
  }
  isoformat(): string {
    return this.toString();
  }
  weekday(): number {
    return (new Date(this.wall).getUTCDay() + 6) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  toString(): string {
    return new Date(this.wall).toISOString().slice(0, 10);
  }
}

/**
 * A date-time: aware (pendulum's `DateTime` in a time zone, as every context date is) or naive
 * (Python's `datetime`, from `macros.datetime(...)`).
 */
export class PyDateTime {
  /** `instant` is epoch ms for an aware time; for a naive one, its wall time encoded as UTC. */
  constructor(
    readonly instant: number,
    readonly zone: TimeZone | null,
  ) {}

  /** The aware UTC date-time of a JS Date, as Airflow's context holds it. */
  static utc(date: Date): PyDateTime {
    return new PyDateTime(date.getTime(), timeZone('UTC'));
  }

  get wall(): number {
    return this.zone ? this.zone.toWall(this.instant) : this.instant;
  }
  get offsetMs(): number | null {
    return this.zone ? this.zone.offsetAt(this.instant) : null;
  }
  private get fields(): Fields {
    return fieldsOf(this.wall);
  }
  get year(): number {
    return this.fields.year;
  }
  get month(): number {
    return this.fields.month;
  }
  get day(): number {
    return this.fields.day;
  }
  get hour(): number {
    return this.fields.hour;
  }
  get minute(): number {
    return this.fields.minute;
  }
  get second(): number {
    return this.fields.second;
  }
  get microsecond(): number {
    return this.fields.ms * 1000;
  }
  /** pendulum 2: Sunday is 0. */
  get day_of_week(): number {
    return new Date(this.wall).getUTCDay();
  }
  get day_of_year(): number {
    return Math.floor((this.wall - Date.UTC(this.year, 0, 1)) / DAY_MS) + 1;
  }
  get days_in_month(): number {
    return daysInMonth(this.year, this.month);
  }
  get timezone_name(): string | null {
    return this.zone?.name ?? null;
  }
  get tzinfo(): string | null {
    return this.zone?.name ?? null;
  }

  /** Python's `isoformat(sep)`: `2021-02-05T00:00:00+00:00`. */
  isoformat(sep: unknown = 'T'): string {
    const f = this.fields;
    const time = `${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${f.ms ? `.${pad(f.ms * 1000, 6)}` : ''}`;
    return `${String(f.year).padStart(4, '0')}-${pad(f.month)}-${pad(f.day)}${String(sep)}${time}${offsetText(this.offsetMs, true)}`;
  }
  strftime(format: unknown): string {
    return strftime(this.wall, this.offsetMs, this.zone ? zoneAbbreviation(this.zone) : null, format);
  }
  /** pendulum's `in_timezone('Asia/Seoul')`. */
  in_timezone(name: unknown): PyDateTime {
    if (!this.zone) throw new Error('in_timezone() needs a time-zone aware date-time; macros.datetime(...) is naive');
    return new PyDateTime(this.instant, timeZone(String(name)));
  }
  in_tz(name: unknown): PyDateTime {
    return this.in_timezone(name);
  }
  /** pendulum's `add(years=, months=, weeks=, days=, hours=, minutes=, seconds=)`: calendar units on the local clock, clock units in real time. */
  add(kwargs: Record<string, unknown>): PyDateTime {
    const { hours = 0, minutes = 0, seconds = 0, microseconds = 0, ...calendar } = numbers(kwargs, 'add');
    const moved = this.withWall(RelativeDelta.of(calendar).applyToWall(this.wall));
    return new PyDateTime(moved.instant + Math.round(hours * 3600000 + minutes * 60000 + seconds * 1000 + microseconds / 1000), this.zone);
  }
  subtract(kwargs: Record<string, unknown>): PyDateTime {
    const negated: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(kwargs)) negated[k] = -number(v, `subtract ${k}`);
    return this.add(negated);
  }
  /** Python's `replace(year=, month=, day=, hour=, minute=, second=, microsecond=)`. */
  replace(kwargs: Record<string, unknown>): PyDateTime {
    const set: Record<string, number> = {};
    for (const [k, v] of Object.entries(numbers(kwargs, 'replace'))) {
      if (!['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'].includes(k)) throw new Error(`replace() got an unexpected keyword argument "${k}"`);
      set[k] = v;
    }
    return this.withWall(new RelativeDelta(set).applyToWall(this.wall));
  }
  /** pendulum's `start_of('day' | 'month' | 'year' | 'hour' | 'minute' | 'week')`. */
  start_of(unit: unknown): PyDateTime {
    const f = this.fields;
    const weekStart = () => this.withWall(Date.UTC(f.year, f.month - 1, f.day - ((new Date(this.wall).getUTCDay() + 6) % 7)));
    const by: Record<string, () => PyDateTime> = {
      minute: () => this.withWall(Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute)),
      hour: () => this.withWall(Date.UTC(f.year, f.month - 1, f.day, f.hour)),
      day: () => this.withWall(Date.UTC(f.year, f.month - 1, f.day)),
      week: weekStart,
      month: () => this.withWall(Date.UTC(f.year, f.month - 1, 1)),
      year: () => this.withWall(Date.UTC(f.year, 0, 1)),
    };
    const make = by[String(unit)];
    if (!make) throw new Error(`start_of() takes one of ${Object.keys(by).map((u) => `'${u}'`).join(', ')}, found ${JSON.stringify(unit)}`);
    return make();
  }
  date(): PyDate {
    const f = this.fields;
    return new PyDate(Date.UTC(f.year, f.month - 1, f.day));
  }
  timestamp(): number {
    return (this.zone ? this.instant : this.instant) / 1000;
  }
  get int_timestamp(): number {
    return Math.floor(this.instant / 1000);
  }
  weekday(): number {
    return (new Date(this.wall).getUTCDay() + 6) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  to_date_string(): string {
    return this.strftime('%Y-%m-%d');
  }
  to_datetime_string(): string {
    return this.strftime('%Y-%m-%d %H:%M:%S');
  }
  /** pendulum 2: `Z` for UTC, else the offset. */
  to_iso8601_string(): string {
    const iso = this.isoformat();
    return this.offsetMs === 0 ? iso.replace(/\+00:00$/, 'Z') : iso;
  }
  /** pendulum's `format()` with its common tokens: YYYY YY MM M DD D HH H mm m ss s. */
  format(pattern: unknown): string {
    if (typeof pattern !== 'string') throw new Error(`format() expects a pattern such as 'YYYY-MM-DD', found ${JSON.stringify(pattern)}`);
    const f = this.fields;
    const tokens: Record<string, string> = {
      YYYY: String(f.year), YY: pad(f.year % 100), MM: pad(f.month), M: String(f.month), DD: pad(f.day), D: String(f.day),
      HH: pad(f.hour), H: String(f.hour), mm: pad(f.minute), m: String(f.minute), ss: pad(f.second), s: String(f.second), Z: offsetText(this.offsetMs, true),
    };
    return pattern.replace(/\[([^\]]*)\]|YYYY|YY|MM|M|DD|D|HH|H|mm|m|ss|s|Z/g, (token: string, literal: string | undefined) => literal ?? tokens[token]!);
  }
  /** Python's `str()`: pendulum prints ISO 8601 with a `T`, a naive datetime with a space. */
  toString(): string {
    return this.isoformat(this.zone ? 'T' : ' ');
  }

  /** The same zone at another wall time (the first instant showing it, or the one after a gap). */
  withWall(wall: number): PyDateTime {
    if (!this.zone) return new PyDateTime(wall, null);
    return new PyDateTime(this.zone.resolve(wall).instants[0]!, this.zone);
  }
}

function zoneAbbreviation(zone: TimeZone): string {
  return zone.name === 'UTC' || zone.name === 'Etc/UTC' ? 'UTC' : zone.name;
}

function number(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what} must be a number, found ${JSON.stringify(v)}`);
  return v;
}

function numbers(kwargs: Record<string, unknown>, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(kwargs)) out[k] = number(v, `${what}() ${k}`);
  return out;
}

/** `a + b` / `a - b` for date values; undefined when neither side is a date value. */
export function dateArithmetic(op: '+' | '-', a: unknown, b: unknown): unknown {
  if (a instanceof PyDateTime && b instanceof TimeDelta) {
    // pendulum adds a timedelta's days on the calendar and its seconds in real time.
    const d = op === '+' ? b : new TimeDelta(-b.ms);
    return a.add({ days: d.days, seconds: (d.ms - d.days * DAY_MS) / 1000 });
  }
  if (a instanceof TimeDelta && b instanceof PyDateTime && op === '+') return dateArithmetic('+', b, a);
  if (a instanceof PyDateTime && b instanceof RelativeDelta) return a.withWall((op === '+' ? b : b.negate()).applyToWall(a.wall));
  if (a instanceof RelativeDelta && b instanceof PyDateTime && op === '+') return dateArithmetic('+', b, a);
  if (a instanceof PyDateTime && b instanceof PyDateTime && op === '-') {
    if ((a.zone === null) !== (b.zone === null)) throw new Error("can't subtract an offset-naive and an offset-aware date-time");
    return a.zone ? new Period(b, a) : new TimeDelta(a.instant - b.instant);
  }
  if (a instanceof PyDate && b instanceof TimeDelta) return new PyDate(a.wall + Math.trunc(b.ms / DAY_MS) * DAY_MS * (op === '+' ? 1 : -1));
  if (a instanceof PyDate && b instanceof RelativeDelta) return new PyDate((op === '+' ? b : b.negate()).applyToWall(a.wall));
  if (a instanceof PyDate && b instanceof PyDate && op === '-') return new TimeDelta(a.wall - b.wall);
  if (a instanceof TimeDelta && b instanceof TimeDelta) return new TimeDelta(op === '+' ? a.ms + b.ms : a.ms - b.ms);
  return undefined;
}

/** A number for comparing date values, or undefined. */
export function dateOrder(v: unknown): number | undefined {
  if (v instanceof PyDateTime) return v.instant;
  if (v instanceof PyDate) return v.wall;
  if (v instanceof TimeDelta) return v.ms;
  return undefined;
}
