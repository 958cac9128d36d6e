import { closestName, didYouMean } from '../shared/suggest.ts';
import { dateArithmetic, dateOrder, PyDate, PyDateTime, TimeDelta } from './dates.ts';
import { FILTERS } from './filters.ts';
import { MACRO_USAGE } from './macros.ts';
import { exprText, parseTemplate, pathOf, pathText, SyntaxProblem, type Expr, type TemplateNode } from './parse.ts';
import { CONTEXT_NAMES } from './scope.ts';
import { TemplateError, type TemplatePart, type TemplateScope } from './types.ts';
import { Accessor, capitalize, describeValue, isDict, Namespace, PyCallable, replaceCount, stripChars, titleCase, toText, truthy, UNDEFINED } from './values.ts';

/** The names a message lists as known. */
export const KNOWN = () => `${CONTEXT_NAMES.join(', ')}, params.X, var.value.KEY, ${Object.values(MACRO_USAGE).map((m) => m.usage).join(', ')}`;

/**
 * Render a template with the run's values, as Airflow's Jinja would, into its parts: literal
 * text, and one `value` part per `{{ ... }}` evaluated (with the hole as written). Joining the
 * parts' texts gives the rendered string; SQL binding uses the parts to know which text came
 * from a value. Text that a value brings in is never rendered again.
 */
export function renderParts(template: string, scope: TemplateScope, where: string): TemplatePart[] {
  const nodes = parse(template, where);
  const parts: TemplatePart[] = [];
  new Evaluator(scope, where).nodes(nodes, parts);
  return parts;
}

/**
 * Render every `{{ expression }}` and `{% statement %}` in `template` with the run's values.
 * Strings render as they are, None/True/False as Python prints them, dates as Airflow's pendulum
 * dates print (`2021-02-05T00:00:00+00:00`), lists and dicts as JSON. An unknown name or a failure
 * throws a {@link TemplateError} naming `where`, the expression and, when one is close, the name
 * meant — never an empty string.
 *
 * The result is text. Values must not be spliced into SQL: operators bind them (see bindSqlTemplate).
 *
 * ```ts
 * render("WHERE DATE(created_at) = DATE('{{ ds }}')", scope, 'task "extract" field "sql"');
 * // "WHERE DATE(created_at) = DATE('2021-02-05')"
 * ```
 */
export function render(template: string, scope: TemplateScope, where: string): string {
  return renderParts(template, scope, where)
    .map((p) => p.text)
    .join('');
}

/** Parse a template, syntax problems as a TemplateError naming `where`. */
export function parse(template: string, where: string): TemplateNode[] {
  if (typeof template !== 'string') throw new TemplateError(`${where}: expected a template string, found ${typeof template}`, { where });
  try {
    return parseTemplate(template);
  } catch (error) {
    if (!(error instanceof SyntaxProblem)) throw error;
    const at = error.source === undefined ? '' : ` ${error.source}`;
    throw new TemplateError(`${where}: cannot read the template${at}: ${error.message}`, { where, expression: error.source, cause: error });
  }
}

class Evaluator {
  private readonly frames: Map<string, unknown>[] = [];
  private source = '';

  constructor(
    private readonly scope: TemplateScope,
    private readonly where: string,
  ) {}

  nodes(nodes: TemplateNode[], out: TemplatePart[]): void {
    for (const node of nodes) {
      if (node.kind === 'text') out.push({ kind: 'text', text: node.text });
      else if (node.kind === 'output') {
        this.source = node.source;
        const value = this.expr(node.expr);
        if (value instanceof PyCallable && value.options.usage) throw this.error(`${value.name} in ${node.source} is a function: call it as ${value.options.usage}`);
        out.push({ kind: 'value', text: toText(value), source: node.source, offset: node.offset });
      } else if (node.kind === 'if') {
        this.source = node.source;
        const branch = node.branches.find((b) => truthy(this.expr(b.test)));
        const body = branch ? branch.body : node.otherwise;
        if (body) this.nodes(body, out);
      } else if (node.kind === 'for') this.loop(node, out);
      else {
        this.source = node.source;
        (this.frames[this.frames.length - 1] ?? this.topFrame()).set(node.name, this.expr(node.expr));
      }
    }
  }

  private topFrame(): Map<string, unknown> {
    const frame = new Map<string, unknown>();
    this.frames.push(frame);
    return frame;
  }

  private loop(node: Extract<TemplateNode, { kind: 'for' }>, out: TemplatePart[]): void {
    this.source = node.source;
    const iterable = this.expr(node.iter);
    const items = this.items(iterable, exprText(node.iter));
    if (items.length === 0) {
      if (node.otherwise) this.nodes(node.otherwise, out);
      return;
    }
    items.forEach((item, index) => {
      const frame = new Map<string, unknown>();
      if (node.targets.length === 1) frame.set(node.targets[0]!, item);
      else {
        if (!Array.isArray(item) || item.length !== node.targets.length) throw this.error(`${node.source} unpacks ${node.targets.length} names, but an item of ${exprText(node.iter)} is ${describeValue(item)}`);
        node.targets.forEach((t, i) => frame.set(t, item[i]));
      }
      const length = items.length;
      frame.set('loop', { index: index + 1, index0: index, revindex: length - index, revindex0: length - index - 1, first: index === 0, last: index === length - 1, length });
      this.frames.push(frame);
      try {
        this.nodes(node.body, out);
      } finally {
        this.frames.pop();
      }
    });
  }

  private items(value: unknown, what: string): unknown[] {
    if (Array.isArray(value)) return value;
    if (typeof value === 'string') return [...value];
    if (isDict(value)) return Object.keys(value);
    throw this.error(`${what} in ${this.source} is ${describeValue(value)}, which cannot be looped over`);
  }

  private error(message: string, extra: { unknownName?: string; cause?: unknown } = {}): TemplateError {
    return new TemplateError(`${this.where}: ${message}`, { where: this.where, expression: this.source, ...extra });
  }

  expr(e: Expr): unknown {
    switch (e.kind) {
      case 'literal':
        return e.value;
      case 'name':
        return this.name(e.name);
      case 'attr':
        return this.attr(this.expr(e.object), e.name, e);
      case 'item':
        return this.item(this.expr(e.object), this.expr(e.key), e);
      case 'slice':
        return this.slice(e);
      case 'call':
        return this.call(e);
      case 'filter':
        return this.filter(e);
      case 'test':
        return this.test(e);
      case 'unary': {
        const v = this.expr(e.operand);
        if (e.op === 'not') return !truthy(v);
        if (typeof v === 'number') return e.op === '-' ? -v : v;
        if (v instanceof TimeDelta) return e.op === '-' ? new TimeDelta(-v.ms) : v;
        throw this.error(`cannot apply unary "${e.op}" to ${describeValue(v)} in ${this.source}`);
      }
      case 'binary':
        return this.binary(e);
      case 'cond':
        return truthy(this.expr(e.test)) ? this.expr(e.then) : e.otherwise ? this.expr(e.otherwise) : '';
      case 'list':
        return e.items.map((i) => this.expr(i));
      case 'dict':
        return Object.fromEntries(e.entries.map(([k, v]) => [toText(this.expr(k)), this.expr(v)]));
    }
  }

  private name(name: string): unknown {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i]!.has(name)) return this.frames[i]!.get(name);
    if (Object.hasOwn(this.scope, name)) return this.scope[name];
    throw this.error(`unknown template variable "${name}" in ${this.source}${didYouMean(name, CONTEXT_NAMES)}; known names are ${KNOWN()}`, { unknownName: name });
  }

  private missing(object: unknown, key: string | number, e: Expr & { object: Expr }): TemplateError {
    const base = exprText(e.object);
    const name = pathOf(e) ? pathText(pathOf(e)!) : `${base}.${key}`;
    const known = isDict(object) ? Object.keys(object) : [];
    const hint = closestName(String(key), known);
    const listing = isDict(object) ? (known.length ? `; ${base} has ${known.map((k) => `"${k}"`).join(', ')}` : `; ${base} is empty`) : `; ${base} is ${describeValue(object)}, not an object`;
    const suggestion = hint === undefined ? '' : ` (did you mean "${pathOf(e.object) ? pathText({ ...pathOf(e.object)!, keys: [...pathOf(e.object)!.keys, hint] }) : hint}"?)`;
    return this.error(`unknown template variable "${name}" in ${this.source}${suggestion}${listing}`, { unknownName: name });
  }

  private attr(object: unknown, name: string, e: Extract<Expr, { kind: 'attr' }>): unknown {
    if (object instanceof Accessor) {
      if (name !== 'get') return this.access(object, name);
      return new PyCallable(`${object.name}.get`, ([key, ...rest], kwargs) => {
        const fallback = rest.length ? rest[0] : kwargs.default_var !== undefined ? kwargs.default_var : kwargs.default_conn;
        if (fallback === undefined && rest.length === 0 && !('default_var' in kwargs) && !('default_conn' in kwargs)) return this.access(object, String(key));
        try {
          return object.lookup(String(key));
        } catch {
          return fallback ?? null;
        }
      });
    }
    if (object instanceof Namespace) {
      if (Object.hasOwn(object.members, name)) return object.members[name];
      const hint = closestName(name, Object.keys(object.members));
      const what = object.name === 'macros' ? 'macro' : 'name';
      throw this.error(`unknown ${what} "${object.name}.${name}" in ${this.source}${hint ? ` (did you mean "${object.name}.${hint}"?)` : ''}; ${object.name} has ${Object.keys(object.members).join(', ')}`, { unknownName: `${object.name}.${name}` });
    }
    if (object instanceof PyCallable && object.options.attrs && Object.hasOwn(object.options.attrs, name)) return object.options.attrs[name];
    if (typeof object === 'string') {
      const method = STRING_METHODS[name];
      if (method) return new PyCallable(`str.${name}`, (args, kwargs) => method(object, args, kwargs));
      throw this.missing(object, name, e);
    }
    if (object instanceof PyDateTime || object instanceof PyDate || object instanceof TimeDelta) return this.dateMember(object, name, e);
    if (isDict(object)) {
      if (Object.hasOwn(object, name) && object[name] !== undefined) return object[name];
      const method = DICT_METHODS[name];
      if (method) return new PyCallable(`dict.${name}`, (args) => method(object, args));
      throw this.missing(object, name, e);
    }
    throw this.missing(object, name, e);
  }

  private dateMember(object: PyDateTime | PyDate | TimeDelta, name: string, e: Extract<Expr, { kind: 'attr' }>): unknown {
    const proto = Object.getPrototypeOf(object) as Record<string, unknown>;
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (!descriptor || INTERNAL_MEMBERS.has(name)) {
      const kind = object instanceof PyDateTime ? 'date-time' : object instanceof PyDate ? 'date' : 'timedelta';
      const members = Object.getOwnPropertyNames(proto).filter((n) => !INTERNAL_MEMBERS.has(n));
      throw this.error(`a ${kind} has no attribute "${name}" (${exprText(e)} in ${this.source})${didYouMean(name, members)}; it has ${members.join(', ')}`, { unknownName: exprText(e) });
    }
    if (descriptor.get) return descriptor.get.call(object);
    const fn = descriptor.value as (...args: unknown[]) => unknown;
    const takesKeywords = ['add', 'subtract', 'replace'].includes(name);
    return new PyCallable(name, (args, kwargs) => (takesKeywords ? fn.call(object, kwargs) : fn.apply(object, args)));
  }

  private access(accessor: Accessor, key: string): unknown {
    try {
      return accessor.lookup(key);
    } catch (error) {
      throw this.error(`${this.source} needs ${accessor.name === 'conn' ? 'the connection' : 'the Variable'} "${key}": ${(error as Error)?.message ?? String(error)}`, {
        unknownName: `${accessor.name}.${key}`,
        cause: error,
      });
    }
  }

  private item(object: unknown, key: unknown, e: Extract<Expr, { kind: 'item' }>): unknown {
    if (object instanceof Accessor) return this.access(object, String(key));
    if (Array.isArray(object) || typeof object === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key)) throw this.error(`${exprText(e.object)} in ${this.source} is ${describeValue(object)}, indexed by whole numbers, not ${describeValue(key)}`);
      const at = key < 0 ? object.length + key : key;
      if (at < 0 || at >= object.length) throw this.error(`index ${key} is out of range for ${exprText(e.object)} (length ${object.length}) in ${this.source}`);
      return object[at];
    }
    if (isDict(object) && (typeof key === 'string' || typeof key === 'number') && Object.hasOwn(object, key) && object[key] !== undefined) return object[key];
    if (isDict(object) || object instanceof Namespace) {
      if (object instanceof Namespace && typeof key === 'string' && Object.hasOwn(object.members, key)) return object.members[key];
      throw this.missing(isDict(object) ? object : object.members, typeof key === 'number' ? key : String(key), e);
    }
    throw this.missing(object, typeof key === 'number' ? key : String(key), e);
  }

  private slice(e: Extract<Expr, { kind: 'slice' }>): unknown {
    const object = this.expr(e.object);
    const bound = (x: Expr | null): number | null => {
      if (!x) return null;
      const v = this.expr(x);
      if (v === null) return null;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw this.error(`slice bounds must be whole numbers, found ${describeValue(v)} in ${this.source}`);
      return v;
    };
    const [start, stop, step] = [bound(e.start), bound(e.stop), bound(e.step) ?? 1];
    if (typeof object !== 'string' && !Array.isArray(object)) throw this.error(`${exprText(e.object)} in ${this.source} is ${describeValue(object)}, which cannot be sliced`);
    if (step === 0) throw this.error(`slice step cannot be zero in ${this.source}`);
    const items = typeof object === 'string' ? [...object] : object;
    const n = items.length;
    const norm = (v: number | null, dflt: number) => (v === null ? dflt : v < 0 ? Math.max(v + n, step < 0 ? -1 : 0) : Math.min(v, step < 0 ? n - 1 : n));
    const out: unknown[] = [];
    if (step > 0) for (let i = norm(start, 0); i < norm(stop, n); i += step) out.push(items[i]);
    else for (let i = norm(start, n - 1); i > norm(stop, -1); i += step) out.push(items[i]);
    return typeof object === 'string' ? out.join('') : out;
  }

  private call(e: Extract<Expr, { kind: 'call' }>): unknown {
    const callee = this.expr(e.callee);
    if (!(callee instanceof PyCallable)) throw this.error(`${exprText(e.callee)}(...) in ${this.source} cannot be called: it is ${describeValue(callee)}`, { unknownName: exprText(e.callee) });
    const args = e.args.map((a) => this.expr(a));
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of e.kwargs) kwargs[k] = this.expr(v);
    const { minArgs, maxArgs, usage } = callee.options;
    const count = args.length + (usage && !usage.includes('=') ? Object.keys(kwargs).length : 0);
    if ((minArgs !== undefined && count < minArgs) || (maxArgs !== undefined && count > maxArgs)) {
      throw this.error(`${callee.name} takes ${minArgs === maxArgs ? minArgs : `${minArgs} to ${maxArgs}`} arguments, found ${count} in ${this.source}; call it as ${usage}`);
    }
    try {
      return callee.fn(args, kwargs);
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      throw this.error(`${this.source} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  private lenient(e: Expr): unknown {
    try {
      return this.expr(e);
    } catch (error) {
      if (error instanceof TemplateError && error.unknownName !== undefined) return UNDEFINED;
      throw error;
    }
  }

  private filter(e: Extract<Expr, { kind: 'filter' }>): unknown {
    const filter = FILTERS[e.name];
    if (!filter) throw this.error(`unknown filter "${e.name}" in ${this.source}${didYouMean(e.name, Object.keys(FILTERS))}; the filters are ${Object.keys(FILTERS).join(', ')}`);
    const value = e.name === 'default' || e.name === 'd' ? this.lenient(e.value) : this.expr(e.value);
    const args = e.args.map((a) => this.expr(a));
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of e.kwargs) kwargs[k] = this.expr(v);
    try {
      return filter(value, args, kwargs);
    } catch (error) {
      throw this.error(`the filter "${e.name}" failed in ${this.source}: ${(error as Error).message}`, { cause: error });
    }
  }

  private test(e: Extract<Expr, { kind: 'test' }>): boolean {
    const value = e.name === 'defined' || e.name === 'undefined' ? this.lenient(e.value) : this.expr(e.value);
    const tests: Record<string, (v: unknown) => boolean> = {
      defined: (v) => v !== UNDEFINED,
      undefined: (v) => v === UNDEFINED,
      none: (v) => v === null || v === undefined,
      string: (v) => typeof v === 'string',
      number: (v) => typeof v === 'number',
      true: (v) => v === true,
      false: (v) => v === false,
      even: (v) => typeof v === 'number' && v % 2 === 0,
      odd: (v) => typeof v === 'number' && Math.abs(v % 2) === 1,
    };
    const test = tests[e.name];
    if (!test) throw this.error(`unknown test "is ${e.name}" in ${this.source}; the tests are ${Object.keys(tests).join(', ')}`);
    return test(value) !== e.negated;
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): unknown {
    if (e.op === 'and') {
      const left = this.expr(e.left);
      return truthy(left) ? this.expr(e.right) : left;
    }
    if (e.op === 'or') {
      const left = this.expr(e.left);
      return truthy(left) ? left : this.expr(e.right);
    }
    const a = this.expr(e.left);
    const b = this.expr(e.right);
    const fail = () => this.error(`cannot apply "${e.op}" to ${describeValue(a)} and ${describeValue(b)} in ${this.source}`);
    switch (e.op) {
      case '~':
        return toText(a) + toText(b);
      case '+':
      case '-': {
        if (typeof a === 'number' && typeof b === 'number') return e.op === '+' ? a + b : a - b;
        if (e.op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
        if (e.op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
        try {
          const d = dateArithmetic(e.op, a, b);
          if (d !== undefined) return d;
        } catch (error) {
          throw this.error(`${this.source} failed: ${(error as Error).message}`, { cause: error });
        }
        throw fail();
      }
      case '*':
        if (typeof a === 'number' && typeof b === 'number') return a * b;
        if (typeof a === 'string' && typeof b === 'number') return a.repeat(Math.max(0, b));
        if (a instanceof TimeDelta && typeof b === 'number') return new TimeDelta(a.ms * b);
        throw fail();
      case '/':
      case '//':
      case '%': {
        if (typeof a !== 'number' || typeof b !== 'number') throw fail();
        if (b === 0) throw this.error(`division by zero in ${this.source}`);
        if (e.op === '/') return a / b;
        if (e.op === '//') return Math.floor(a / b);
        return ((a % b) + b) % b;
      }
      case 'in':
        if (typeof b === 'string') return b.includes(toText(a));
        if (Array.isArray(b)) return b.some((x) => equal(x, a));
        if (isDict(b)) return Object.hasOwn(b, toText(a));
        throw fail();
      case '==':
        return equal(a, b);
      case '!=':
        return !equal(a, b);
      default: {
        const [x, y] = [dateOrder(a) ?? a, dateOrder(b) ?? b];
        if (!((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string'))) throw fail();
        return e.op === '<' ? x < y : e.op === '<=' ? x <= y : e.op === '>' ? x > y : x >= y;
      }
    }
  }
}

function equal(a: unknown, b: unknown): boolean {
  const [x, y] = [dateOrder(a), dateOrder(b)];
  if (x !== undefined || y !== undefined) return x === y && Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  return a === b;
}

/** Members of the date classes that are dagbox's, not Python's or pendulum's. */
const INTERNAL_MEMBERS = new Set(['constructor', 'withWall', 'instant', 'zone', 'wall', 'offsetMs', 'fields', 'toString', 'ms', 'parts', 'applyToWall', 'negate']);

type Method<T> = (self: T, args: unknown[], kwargs: Record<string, unknown>) => unknown;

const str = (v: unknown): string => (typeof v === 'string' ? v : toText(v));

/** Python's `str` methods that templates use. */
const STRING_METHODS: Record<string, Method<string>> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  strip: (s, [chars]) => (chars === undefined ? s.trim() : stripChars(s, str(chars), true, true)),
  lstrip: (s, [chars]) => (chars === undefined ? s.trimStart() : stripChars(s, str(chars), true, false)),
  rstrip: (s, [chars]) => (chars === undefined ? s.trimEnd() : stripChars(s, str(chars), false, true)),
  replace: (s, [old, replacement, count]) => replaceCount(s, str(old), str(replacement), typeof count === 'number' ? count : -1),
  split: (s, [sep, max]) => {
    const limit = typeof max === 'number' && max >= 0 ? max : Infinity;
    const parts = sep === undefined || sep === null ? s.trim().split(/\s+/).filter(Boolean) : s.split(str(sep));
    if (parts.length - 1 <= limit) return parts;
    return [...parts.slice(0, limit), parts.slice(limit).join(sep === undefined || sep === null ? ' ' : str(sep))];
  },
  startswith: (s, [prefix]) => s.startsWith(str(prefix)),
  endswith: (s, [suffix]) => s.endsWith(str(suffix)),
  zfill: (s, [width]) => (s.startsWith('-') ? `-${s.slice(1).padStart(Number(width) - 1, '0')}` : s.padStart(Number(width), '0')),
  title: (s) => titleCase(s),
  capitalize: (s) => capitalize(s),
  join: (s, [items]) => {
    if (!Array.isArray(items)) throw new Error(`join() takes a list, found ${describeValue(items)}`);
    return items.map(str).join(s);
  },
  format: (s, args, kwargs) => {
    let next = 0;
    return s.replace(/\{([A-Za-z_0-9]*)\}/g, (_m, key: string) => toText(key === '' ? args[next++] : /^\d+$/.test(key) ? args[Number(key)] : kwargs[key]));
  },
};

/** Python's `dict` methods that templates use. */
const DICT_METHODS: Record<string, (self: Record<string, unknown>, args: unknown[]) => unknown> = {
  get: (d, [key, fallback = null]) => (Object.hasOwn(d, str(key)) ? d[str(key)] : fallback),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  items: (d) => Object.entries(d),
};
