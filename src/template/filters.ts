/**
 * The filters a template can apply with `|`: Airflow's date filters (`ds`, `ds_nodash`, `ts`,
 * `ts_nodash`, `ts_nodash_with_tz`) and the Jinja built-ins templates use.
 */
import { PyDate, PyDateTime } from './dates.ts';
import { capitalize, describeValue, isDict, pyJson, replaceCount, stripChars, titleCase, toText, UNDEFINED } from './values.ts';

/** A filter: the value before `|`, then the filter's own arguments. */
export type Filter = (value: unknown, args: unknown[], kwargs: Record<string, unknown>) => unknown;

function dateFilter(name: string, format: (d: PyDateTime | PyDate) => string): Filter {
  return (value) => {
    if (value === null || value === undefined) return null;
    if (value instanceof PyDateTime || value instanceof PyDate) return format(value);
    throw new Error(`| ${name} needs a date such as data_interval_start or logical_date, found ${describeValue(value)}`);
  };
}

const iso = (d: PyDateTime | PyDate): string => (d instanceof PyDateTime ? d.isoformat() : d.isoformat());

function toInt(value: unknown, fallback: unknown): unknown {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const text = value.trim().replaceAll('_', '');
    if (/^[+-]?\d+$/.test(text)) return Number(text);
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Math.trunc(Number(text));
  }
  return fallback;
}

function toFloat(value: unknown, fallback: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value.trim()))) return Number(value.trim());
  return fallback;
}

function sequence(value: unknown, filter: string): unknown[] | string {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  if (isDict(value)) return Object.keys(value);
  throw new Error(`| ${filter} needs a list or a string, found ${describeValue(value)}`);
}

/** Every filter, by name. */
export const FILTERS: Readonly<Record<string, Filter>> = Object.freeze({
  ds: dateFilter('ds', (d) => d.strftime('%Y-%m-%d')),
  ds_nodash: dateFilter('ds_nodash', (d) => d.strftime('%Y%m%d')),
  ts: dateFilter('ts', iso),
  ts_nodash: dateFilter('ts_nodash', (d) => d.strftime('%Y%m%dT%H%M%S')),
  ts_nodash_with_tz: dateFilter('ts_nodash_with_tz', (d) => iso(d).replaceAll('-', '').replaceAll(':', '')),
  upper: (v) => toText(v).toUpperCase(),
  lower: (v) => toText(v).toLowerCase(),
  title: (v) => titleCase(toText(v)),
  capitalize: (v) => capitalize(toText(v)),
  trim: (v, [chars]) => (chars === undefined ? toText(v).trim() : stripChars(toText(v), toText(chars), true, true)),
  replace: (v, [old, replacement, count]) => replaceCount(toText(v), toText(old), toText(replacement), typeof count === 'number' ? count : -1),
  default: (v, [fallback = '', boolean = false], kwargs) => {
    const useFalsy = kwargs.boolean ?? boolean;
    const dflt = 'default_value' in kwargs ? kwargs.default_value : fallback;
    if (v === UNDEFINED) return dflt;
    return useFalsy && (v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0)) ? dflt : v;
  },
  int: (v, [fallback = 0]) => toInt(v, fallback),
  float: (v, [fallback = 0]) => toFloat(v, fallback),
  string: (v) => toText(v),
  tojson: (v, [indent]) => pyJson(v, typeof indent === 'number' ? indent : undefined),
  length: (v) => sequence(v, 'length').length,
  count: (v) => sequence(v, 'count').length,
  first: (v) => sequence(v, 'first')[0] ?? null,
  last: (v) => {
    const s = sequence(v, 'last');
    return s[s.length - 1] ?? null;
  },
  join: (v, [separator = '']) => {
    const s = sequence(v, 'join');
    return (typeof s === 'string' ? [...s] : s).map(toText).join(toText(separator));
  },
  list: (v) => {
    const s = sequence(v, 'list');
    return typeof s === 'string' ? [...s] : [...s];
  },
  abs: (v) => {
    if (typeof v !== 'number') throw new Error(`| abs needs a number, found ${describeValue(v)}`);
    return Math.abs(v);
  },
  round: (v, [precision = 0, method = 'common']) => {
    if (typeof v !== 'number') throw new Error(`| round needs a number, found ${describeValue(v)}`);
    const f = 10 ** Number(precision);
    const op = method === 'floor' ? Math.floor : method === 'ceil' ? Math.ceil : (x: number) => Math.sign(x) * Math.round(Math.abs(x));
    return op(v * f) / f;
  },
});
