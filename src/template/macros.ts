/**
 * Airflow's `macros.*` functions that templates may call. Each takes already-evaluated
 * arguments and throws an Error with a plain sentence when they are wrong.
 */

export interface Macro {
  /** How it is called, for messages: `macros.ds_add(ds, N)`. */
  readonly usage: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  call(args: unknown[]): string;
}

/** The macros a template can call as `macros.NAME(...)`. */
export const MACROS: Readonly<Record<string, Macro>> = Object.freeze({
  ds_add: {
    usage: 'macros.ds_add(ds, N)',
    minArgs: 2,
    maxArgs: 2,
    call: ([ds, days]) => dsAdd(ds, days),
  },
  ds_format: {
    usage: "macros.ds_format(ds, '%Y-%m-%d', '%Y%m%d')",
    minArgs: 3,
    maxArgs: 3,
    call: ([ds, input, output]) => dsFormat(ds, input, output),
  },
});

/**
 * Add N days (N may be negative) to a `YYYY-MM-DD` date string, as Airflow's `macros.ds_add`.
 *
 * ```ts
 * dsAdd('2021-02-05', -1); // '2021-02-04'
 * ```
 */
export function dsAdd(ds: unknown, days: unknown): string {
  const [y, m, d] = dateParts(ds, 'macros.ds_add');
  const n = typeof days === 'string' && /^-?\d+$/.test(days.trim()) ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new Error(`macros.ds_add expects a whole number of days as its second argument, found ${JSON.stringify(days)}`);
  }
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

const DIRECTIVES: Readonly<Record<string, { pattern: string; width: number }>> = {
  Y: { pattern: '(\\d{4})', width: 4 },
  m: { pattern: '(\\d{1,2})', width: 2 },
  d: { pattern: '(\\d{1,2})', width: 2 },
  H: { pattern: '(\\d{1,2})', width: 2 },
  M: { pattern: '(\\d{1,2})', width: 2 },
  S: { pattern: '(\\d{1,2})', width: 2 },
  y: { pattern: '(\\d{2})', width: 2 },
};

/**
 * Re-format a date string from one strftime format to another, as Airflow's `macros.ds_format`.
 * Supports `%Y %m %d %H %M %S %y %%`.
 *
 * ```ts
 * dsFormat('2021-02-05', '%Y-%m-%d', '%Y%m%d'); // '20210205'
 * ```
 */
export function dsFormat(ds: unknown, inputFormat: unknown, outputFormat: unknown): string {
  if (typeof ds !== 'string' || typeof inputFormat !== 'string' || typeof outputFormat !== 'string') {
    throw new Error(`macros.ds_format expects three strings (date, input format, output format), found ${[ds, inputFormat, outputFormat].map((v) => JSON.stringify(v)).join(', ')}`);
  }
  const fields = strptime(ds, inputFormat);
  return strftime(fields, outputFormat);
}

interface DateFields {
  Y: number;
  m: number;
  d: number;
  H: number;
  M: number;
  S: number;
}

function strptime(text: string, format: string): DateFields {
  const order: string[] = [];
  const source = format.replace(/%(.)|([.*+?^${}()|[\]\\])/g, (_, directive: string | undefined, special: string | undefined) => {
    if (special) return `\\${special}`;
    if (directive === '%') return '%';
    const d = DIRECTIVES[directive!];
    if (!d) throw unsupportedDirective(directive!);
    order.push(directive!);
    return d.pattern;
  });
  const m = new RegExp(`^${source}$`).exec(text);
  if (!m) throw new Error(`macros.ds_format: "${text}" does not match the input format "${format}"`);
  const f: DateFields = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  order.forEach((directive, i) => {
    const v = Number(m[i + 1]);
    // Python's %y: 69-99 are 1900s, 00-68 are 2000s.
    if (directive === 'y') f.Y = v < 69 ? 2000 + v : 1900 + v;
    else f[directive as keyof DateFields] = v;
  });
  const check = new Date(Date.UTC(f.Y, f.m - 1, f.d, f.H, f.M, f.S));
  if (check.getUTCMonth() !== f.m - 1 || check.getUTCDate() !== f.d || f.H > 23 || f.M > 59 || f.S > 59) {
    throw new Error(`macros.ds_format: "${text}" is not a valid date for the format "${format}"`);
  }
  return f;
}

function strftime(f: DateFields, format: string): string {
  return format.replace(/%(.)/g, (_, directive: string) => {
    if (directive === '%') return '%';
    const d = DIRECTIVES[directive];
    if (!d) throw unsupportedDirective(directive);
    const value = directive === 'y' ? f.Y % 100 : f[directive as keyof DateFields];
    return String(value).padStart(d.width, '0');
  });
}

function unsupportedDirective(directive: string): Error {
  return new Error(`macros.ds_format does not support "%${directive}"; use %Y %m %d %H %M %S %y or %%`);
}

function dateParts(ds: unknown, macro: string): [number, number, number] {
  const m = typeof ds === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(ds.trim()) : null;
  if (!m) throw new Error(`${macro} expects a date string "YYYY-MM-DD" such as ds as its first argument, found ${JSON.stringify(ds)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) throw new Error(`${macro}: "${ds}" is not a calendar date`);
  return [y, mo, d];
}
