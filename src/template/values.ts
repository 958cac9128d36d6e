/**
 * The kinds of value a template works with besides strings, numbers, lists and dicts: functions
 * (macros, methods), namespaces (`macros`, `ti`, `dag`) and accessors (`var.value`, `conn`), and
 * how any value prints, as Python's `str()` would print it.
 */
import { PyDate, PyDateTime, RelativeDelta, TimeDelta } from './dates.ts';

/** A function a template can call: `macros.ds_add(ds, 1)`, `ti.xcom_pull(task_ids='x')`, `ds.replace('-', '')`. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[], kwargs: Record<string, unknown>) => unknown,
    readonly options: { usage?: string; minArgs?: number; maxArgs?: number; attrs?: Record<string, unknown> } = {},
  ) {}
}

/** A named group of values (`macros`, `ti`, `dag`, `dag_run`), printed as `repr`. */
export class Namespace {
  constructor(
    readonly name: string,
    readonly members: Readonly<Record<string, unknown>>,
    readonly repr: string = `<${name}>`,
  ) {}
}

/** Values read by key on demand (`var.value.KEY`, `conn.ID`), with Airflow's `.get(key, default)`. */
export class Accessor {
  constructor(
    readonly name: string,
    readonly lookup: (key: string) => unknown,
  ) {}
}

/** Jinja's undefined, seen only by `default` and `is defined`. */
export const UNDEFINED: unique symbol = Symbol('undefined');

/** Python's truthiness. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === UNDEFINED || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isDict(value)) return Object.keys(value).length > 0;
  if (value instanceof TimeDelta) return value.ms !== 0;
  return true;
}

/** A plain object: a dict. */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A value as a template prints it: strings as they are, None/True/False as Python does, dates as
 * Airflow's (pendulum) `str()`, lists and dicts as Python's repr (`['a', 'b']`), JS Dates as ISO
 * strings. A whole float prints without `.0` (JavaScript has one number type).
 */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined || value === UNDEFINED) return value === UNDEFINED ? '' : 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value instanceof PyDateTime || value instanceof PyDate || value instanceof TimeDelta || value instanceof RelativeDelta) return value.toString();
  if (value instanceof Namespace) return value.repr;
  if (value instanceof Accessor) return `<${value.name}>`;
  if (value instanceof PyCallable) return `<function ${value.name}>`;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) || isDict(value)) return pyRepr(value);
  return String(value);
}

/** Python's `repr()` of a value inside a list or dict: `['a', 1, None]`, `{'k': True}`. */
function pyRepr(value: unknown): string {
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (isDict(value)) return `{${Object.entries(value).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  if (value instanceof PyDateTime) return `DateTime(${value.toString()})`;
  if (value instanceof PyDate) return `datetime.date(${value.year}, ${value.month}, ${value.day})`;
  return toText(value);
}

/** How a value is described in messages: `the string "nps"`, `None`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  // A long string is described rather than cut: a cut secret would no longer be masked.
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return 'a list';
  if (value instanceof PyDateTime) return `the date-time ${value.toString()}`;
  if (value instanceof PyDate) return `the date ${value.toString()}`;
  if (value instanceof TimeDelta) return `the timedelta ${value.toString()}`;
  if (value instanceof PyCallable) return `the function ${value.name}`;
  if (value instanceof Namespace) return value.name;
  return `${typeof value} ${String(value)}`;
}

/**
 * JSON as Jinja's `tojson` writes it: Python's `json.dumps` with sorted keys, `", "` and `": "`
 * separators and ASCII output, with `<`, `>`, `&` and `'` escaped for HTML.
 */
export function pyJson(value: unknown, indent?: number): string {
  const write = (v: unknown, depth: number): string => {
    const nl = indent === undefined ? '' : `\n${' '.repeat(indent * (depth + 1))}`;
    const end = indent === undefined ? '' : `\n${' '.repeat(indent * depth)}`;
    const sep = indent === undefined ? ', ' : ',';
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof PyDateTime || v instanceof PyDate || v instanceof Date) throw new Error(`Object of type ${v instanceof PyDate ? 'date' : 'datetime'} is not JSON serializable; format it first, e.g. with | ts`);
    if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${nl}${v.map((x) => write(x, depth + 1)).join(sep + nl)}${end}]`;
    if (isDict(v)) {
      const keys = Object.keys(v).sort();
      return keys.length === 0 ? '{}' : `{${nl}${keys.map((k) => `${write(k, depth + 1)}: ${write(v[k], depth + 1)}`).join(sep + nl)}${end}}`;
    }
    throw new Error(`Object of type ${describeValue(v)} is not JSON serializable`);
  };
  return write(value, 0).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
}

/** Python's `str.title()`: each word capitalised. */
export function titleCase(s: string): string {
  return s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase());
}

/** Python's `str.capitalize()`. */
export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
}

/** Python's `strip(chars)` / `lstrip` / `rstrip`: `chars` removed from the chosen ends. */
export function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  let [a, b] = [0, s.length];
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** Python's `str.replace(old, new, count)`; a negative count replaces all. */
export function replaceCount(s: string, old: string, replacement: string, count: number): string {
  if (count < 0) return s.split(old).join(replacement);
  let out = s;
  let from = 0;
  for (let n = 0; n < count; n++) {
    const at = out.indexOf(old, from);
    if (at < 0) break;
    out = out.slice(0, at) + replacement + out.slice(at + old.length);
    from = at + replacement.length;
  }
  return out;
}
