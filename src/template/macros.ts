/**
 * Airflow's `macros` namespace: `ds_add`, `ds_format`, and the modules Airflow puts there that
 * templates use for date arithmetic: `macros.datetime`, `macros.timedelta` and
 * `macros.dateutil.relativedelta.relativedelta`.
 */
import { PyDateTime, RelativeDelta, strftime, strptime, TimeDelta } from './dates.ts';
import { Namespace, PyCallable } from './values.ts';

/** How a macro is called, for messages. */
export interface Macro {
  readonly usage: string;
  readonly minArgs: number;
  readonly maxArgs: number;
}

/**
 * Add N days (N may be negative) to a `YYYY-MM-DD` date string, as Airflow's `macros.ds_add`.
 *
 * ```ts
 * dsAdd('2021-02-05', -1); // '2021-02-04'
 * ```
 */
export function dsAdd(ds: unknown, days: unknown): string {
  const m = typeof ds === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(ds.trim()) : null;
  if (!m) throw new Error(`macros.ds_add expects a date string "YYYY-MM-DD" such as ds as its first argument, found ${JSON.stringify(ds)}`);
  const n = typeof days === 'string' && /^-?\d+$/.test(days.trim()) ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new Error(`macros.ds_add expects a whole number of days as its second argument, found ${JSON.stringify(days)}`);
  }
  const wall = strptime((ds as string).trim(), '%Y-%m-%d', 'macros.ds_add');
  return new Date(wall + n * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Re-format a date string from one strftime format to another, as Airflow's `macros.ds_format`.
 *
 * ```ts
 * dsFormat('2021-02-05', '%Y-%m-%d', '%Y%m%d'); // '20210205'
 * ```
 */
export function dsFormat(ds: unknown, inputFormat: unknown, outputFormat: unknown): string {
  if (typeof ds !== 'string' || typeof inputFormat !== 'string' || typeof outputFormat !== 'string') {
    throw new Error(`macros.ds_format expects three strings (date, input format, output format), found ${[ds, inputFormat, outputFormat].map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return strftime(strptime(ds, inputFormat, 'macros.ds_format'), null, null, outputFormat);
}

function noKeywords(name: string, kwargs: Record<string, unknown>): void {
  const keys = Object.keys(kwargs);
  if (keys.length) throw new Error(`${name}() takes no keyword arguments, found ${keys.join(', ')}`);
}

const datetimeOf = (args: unknown[], kwargs: Record<string, unknown>): PyDateTime => {
  const names = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'];
  const v: Record<string, number> = { hour: 0, minute: 0, second: 0, microsecond: 0 };
  args.forEach((a, i) => (v[names[i]!] = a as number));
  for (const [k, a] of Object.entries(kwargs)) {
    if (!names.includes(k)) throw new Error(`datetime() got an unexpected keyword argument "${k}"`);
    v[k] = a as number;
  }
  for (const k of names) {
    if (!Number.isInteger(v[k])) throw new Error(`datetime() needs whole numbers for year, month and day (and hour, minute, second), found ${k}=${JSON.stringify(v[k])}`);
  }
  const wall = Date.UTC(v.year!, v.month! - 1, v.day!, v.hour!, v.minute!, v.second!, Math.floor(v.microsecond! / 1000));
  const check = new Date(wall);
  if (check.getUTCMonth() !== v.month! - 1 || check.getUTCDate() !== v.day!) throw new Error(`datetime(${v.year}, ${v.month}, ${v.day}) is not a calendar date`);
  return new PyDateTime(wall, null);
};

/** The macros a template can call: `macros.NAME(...)`. */
export const MACRO_USAGE: Readonly<Record<string, Macro>> = Object.freeze({
  ds_add: { usage: 'macros.ds_add(ds, N)', minArgs: 2, maxArgs: 2 },
  ds_format: { usage: "macros.ds_format(ds, '%Y-%m-%d', '%Y%m%d')", minArgs: 3, maxArgs: 3 },
  datetime: { usage: 'macros.datetime(2021, 2, 5)', minArgs: 3, maxArgs: 7 },
  timedelta: { usage: 'macros.timedelta(days=1)', minArgs: 0, maxArgs: 7 },
});

/** Airflow's `macros` as a template sees it. */
export const MACROS: Namespace = new Namespace(
  'macros',
  {
    ds_add: new PyCallable('macros.ds_add', (args, k) => dsAdd(args[0] ?? k.ds, args[1] ?? k.days), MACRO_USAGE.ds_add),
    ds_format: new PyCallable('macros.ds_format', (args, k) => dsFormat(args[0] ?? k.ds, args[1] ?? k.input_format, args[2] ?? k.output_format), MACRO_USAGE.ds_format),
    datetime: new PyCallable('macros.datetime', datetimeOf, {
      ...MACRO_USAGE.datetime,
      attrs: {
        strptime: new PyCallable('macros.datetime.strptime', ([text, format], kwargs) => {
          noKeywords('strptime', kwargs);
          return new PyDateTime(strptime(text, format, 'macros.datetime.strptime'), null);
        }, { usage: "macros.datetime.strptime(ds, '%Y-%m-%d')", minArgs: 2, maxArgs: 2 }),
      },
    }),
    timedelta: new PyCallable('macros.timedelta', (args, kwargs) => TimeDelta.of(kwargs, args), MACRO_USAGE.timedelta),
    dateutil: new Namespace('macros.dateutil', {
      relativedelta: new Namespace('macros.dateutil.relativedelta', {
        relativedelta: new PyCallable('relativedelta', (args, kwargs) => {
          if (args.length) throw new Error('relativedelta() takes keyword arguments here, such as relativedelta(months=1)');
          return RelativeDelta.of(kwargs);
        }, { usage: 'macros.dateutil.relativedelta.relativedelta(months=1)' }),
      }, "<module 'dateutil.relativedelta'>"),
    }, "<module 'dateutil'>"),
  },
  "<module 'airflow.macros'>",
);
