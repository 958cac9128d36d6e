import { closestName, didYouMean } from '../shared/suggest.ts';
import { MACROS } from './macros.ts';
import { parseExpression, pathText, splitTemplate, SyntaxProblem, type Expr, type PathExpr, type Segment } from './parse.ts';
import { TemplateError, type TemplateScope } from './types.ts';

/** Names whose value is one string in the scope. */
const SCALARS = [
  'ds',
  'ds_nodash',
  'ts',
  'logical_date',
  'execution_date',
  'data_interval_start',
  'data_interval_end',
  'prev_ds',
  'next_ds',
] as const;
type ScalarName = (typeof SCALARS)[number];

const ROOTS: readonly string[] = [...SCALARS, 'params', 'var', 'macros'];
const KNOWN = `${SCALARS.join(', ')}, params.X, var.value.KEY, ${Object.values(MACROS).map((m) => m.usage).join(', ')}`;

/**
 * Render every `{{ expression }}` in `template` with the run's values, in one pass: text that a
 * value brings in is never rendered again, so a variable holding `{{ x }}` appears as is.
 * Supported: the names of {@link TemplateScope}, `params.X` (dotted or `['key']` paths),
 * `var.value.KEY` (and `var.json.KEY`, `var.value.get('KEY', default)`), `macros.ds_add(ds, N)`,
 * `macros.ds_format(ds, in, out)`, and quoted string literals. Strings render as they are,
 * objects and arrays as JSON, Dates as ISO strings, anything else with `String()` (so a null
 * `prev_ds` renders `null`). An unknown name or a failure throws a {@link TemplateError} naming
 * `where`, the expression and, when one is close, the name meant — never an empty string.
 *
 * The result is text. Rendered values must not be spliced into SQL when they can hold user or
 * source data: bind them as query parameters (a later layer's job); values such as `ds` are safe.
 *
 * ```ts
 * render("WHERE DATE(created_at) = DATE('{{ ds }}')", scope, 'task "extract" field "sql"');
 * // "WHERE DATE(created_at) = DATE('2021-02-05')"
 * ```
 */
export function render(template: string, scope: TemplateScope, where: string): string {
  let out = '';
  for (const segment of segments(template, where)) {
    out += segment.kind === 'text' ? segment.text : toText(evaluate(parseHole(segment, where), scope, where, segment.source));
  }
  return out;
}

/**
 * Check a template without values, as DAG loading does: every problem as a sentence naming
 * `where` (syntax errors, unknown names, wrong macro calls; `params.X` against `paramNames`
 * when given). `var.value.*` is always allowed, since Variables are known only at run time.
 *
 * ```ts
 * checkTemplate('{{ dss }}', 'task "load" field "sql"');
 * // ['task "load" field "sql": unknown template variable "dss" in {{ dss }} (did you mean "ds"?); ...']
 * ```
 */
export function checkTemplate(template: string, where: string, opts: { paramNames?: string[] } = {}): string[] {
  let parts: Segment[];
  try {
    parts = segments(template, where);
  } catch (error) {
    return [(error as Error).message];
  }
  const problems: string[] = [];
  for (const segment of parts) {
    if (segment.kind !== 'hole') continue;
    try {
      checkExpr(parseHole(segment, where), opts.paramNames, where, segment.source);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

function segments(template: string, where: string): Segment[] {
  if (typeof template !== 'string') throw new TemplateError(`${where}: expected a template string, found ${typeof template}`, { where });
  try {
    return splitTemplate(template);
  } catch (error) {
    throw fromSyntax(error, where, undefined);
  }
}

function parseHole(segment: Extract<Segment, { kind: 'hole' }>, where: string): Expr {
  try {
    return parseExpression(segment.body);
  } catch (error) {
    throw fromSyntax(error, where, segment.source);
  }
}

function fromSyntax(error: unknown, where: string, source: string | undefined): unknown {
  if (!(error instanceof SyntaxProblem)) return error;
  const at = source === undefined ? '' : ` ${source}`;
  return new TemplateError(`${where}: cannot read the template${at}: ${error.message}`, { where, expression: source, cause: error });
}

function evaluate(expr: Expr, scope: TemplateScope, where: string, source: string): unknown {
  if (expr.kind === 'literal') return expr.value;
  if (expr.kind === 'call') return call(expr.callee, expr.args.map((a) => evaluate(a, scope, where, source)), scope, where, source);
  const { root, keys } = expr;
  if (root === 'params') return walk(scope.params, keys, 'params', where, source);
  if (root === 'var') return variable(expr, scope, where, source);
  if (root === 'macros') throw macroNotCalled(expr, where, source);
  if (isScalar(root)) {
    if (keys.length > 0) throw attributeOfScalar(expr, where, source);
    return scope[root];
  }
  throw unknownName(root, ROOTS, where, source);
}

function call(callee: PathExpr, args: unknown[], scope: TemplateScope, where: string, source: string): unknown {
  if (isVarGet(callee)) {
    const [key, fallback] = args;
    try {
      return scope.var.value(String(key));
    } catch (error) {
      if (args.length > 1) return fallback;
      throw variableFailed(String(key), error, where, source);
    }
  }
  const macro = macroOf(callee, args.length, where, source);
  try {
    return macro.call(args);
  } catch (error) {
    throw new TemplateError(`${where}: ${source} failed: ${(error as Error).message}`, { where, expression: source, cause: error });
  }
}

function variable(expr: PathExpr, scope: TemplateScope, where: string, source: string): unknown {
  const [access, key, ...rest] = expr.keys;
  if (access !== 'value' && access !== 'json') throw varShape(where, source);
  if (key === undefined) throw varShape(where, source);
  let value: unknown;
  try {
    value = scope.var.value(String(key));
  } catch (error) {
    throw variableFailed(String(key), error, where, source);
  }
  return walk(value, rest, `var.${access}.${key}`, where, source);
}

/** Follow `keys` into `value`; a missing key is an unknown name with a suggestion from that level. */
function walk(value: unknown, keys: readonly (string | number)[], base: string, where: string, source: string): unknown {
  let current = value;
  const path: (string | number)[] = [];
  for (const key of keys) {
    const container = current !== null && typeof current === 'object' ? (current as Record<string | number, unknown>) : undefined;
    if (!container || !Object.hasOwn(container, key) || container[key] === undefined) {
      const here = pathText({ root: base, keys: path });
      const name = pathText({ root: base, keys: [...path, key] });
      const known = container ? Object.keys(container) : [];
      const hint = closestName(String(key), known);
      const listing = container ? (known.length ? `; ${here} has ${known.map((k) => `"${k}"`).join(', ')}` : `; ${here} is empty`) : `; ${here} is ${describeValue(current)}, not an object`;
      throw new TemplateError(
        `${where}: unknown template variable "${name}" in ${source}${hint === undefined ? '' : ` (did you mean "${pathText({ root: base, keys: [...path, hint] })}"?)`}${listing}`,
        { where, expression: source, unknownName: name },
      );
    }
    current = container[key];
    path.push(key);
  }
  return current;
}

function checkExpr(expr: Expr, paramNames: string[] | undefined, where: string, source: string): void {
  if (expr.kind === 'literal') return;
  if (expr.kind === 'call') {
    if (!isVarGet(expr.callee)) macroOf(expr.callee, expr.args.length, where, source);
    for (const arg of expr.args) checkExpr(arg, paramNames, where, source);
    return;
  }
  const { root, keys } = expr;
  if (root === 'params') {
    const first = keys[0];
    if (paramNames && first !== undefined && !paramNames.includes(String(first))) {
      const name = pathText({ root, keys: [first] });
      const hint = closestName(String(first), paramNames);
      const listing = paramNames.length ? `; the DAG's params are ${paramNames.map((p) => `"${p}"`).join(', ')}` : "; the DAG has no params: add them to the DAG's params option";
      throw new TemplateError(
        `${where}: unknown template variable "${name}" in ${source}${hint === undefined ? '' : ` (did you mean "params.${hint}"?)`}${listing}`,
        { where, expression: source, unknownName: name },
      );
    }
    return;
  }
  if (root === 'var') {
    if ((keys[0] !== 'value' && keys[0] !== 'json') || keys[1] === undefined) throw varShape(where, source);
    return;
  }
  if (root === 'macros') throw macroNotCalled(expr, where, source);
  if (isScalar(root)) {
    if (keys.length > 0) throw attributeOfScalar(expr, where, source);
    return;
  }
  throw unknownName(root, ROOTS, where, source);
}

function macroOf(callee: PathExpr, argCount: number, where: string, source: string): (typeof MACROS)[string] {
  const name = pathText(callee);
  if (isScalar(callee.root) && callee.keys.length > 0) throw attributeOfScalar(callee, where, source);
  if (callee.root !== 'macros' || callee.keys.length !== 1) {
    throw new TemplateError(`${where}: ${name}(...) in ${source} cannot be called; the functions are ${Object.values(MACROS).map((m) => m.usage).join(' and ')}`, {
      where,
      expression: source,
      unknownName: name,
    });
  }
  const key = String(callee.keys[0]);
  const macro = Object.hasOwn(MACROS, key) ? MACROS[key] : undefined;
  if (!macro) {
    const hint = closestName(key, Object.keys(MACROS));
    throw new TemplateError(`${where}: unknown macro "${name}" in ${source}${hint ? ` (did you mean "macros.${hint}"?)` : ''}; the macros are ${Object.values(MACROS).map((m) => m.usage).join(', ')}`, {
      where,
      expression: source,
      unknownName: name,
    });
  }
  if (argCount < macro.minArgs || argCount > macro.maxArgs) {
    throw new TemplateError(`${where}: ${name} takes ${macro.minArgs} arguments, found ${argCount} in ${source}; call it as ${macro.usage}`, { where, expression: source });
  }
  return macro;
}

function isScalar(name: string): name is ScalarName {
  return (SCALARS as readonly string[]).includes(name);
}

function isVarGet(callee: PathExpr): boolean {
  return callee.root === 'var' && callee.keys.length === 2 && (callee.keys[0] === 'value' || callee.keys[0] === 'json') && callee.keys[1] === 'get';
}

function unknownName(name: string, known: readonly string[], where: string, source: string): TemplateError {
  return new TemplateError(`${where}: unknown template variable "${name}" in ${source}${didYouMean(name, known)}; known names are ${KNOWN}`, {
    where,
    expression: source,
    unknownName: name,
  });
}

function attributeOfScalar(expr: PathExpr, where: string, source: string): TemplateError {
  return new TemplateError(
    `${where}: "${expr.root}" is a string, and templates have no attributes or methods on values, so "${pathText(expr)}" in ${source} cannot be read; ` +
      `use {{ ${expr.root} }}, or a macro such as macros.ds_add(ds, 1) or macros.ds_format(ds, '%Y-%m-%d', '%Y%m%d')`,
    { where, expression: source, unknownName: pathText(expr) },
  );
}

function macroNotCalled(expr: PathExpr, where: string, source: string): TemplateError {
  const key = String(expr.keys[0] ?? '');
  const macro = Object.hasOwn(MACROS, key) ? MACROS[key] : undefined;
  return new TemplateError(
    `${where}: ${pathText(expr)} in ${source} is ${macro ? `a function: call it as ${macro.usage}` : `not a macro; the macros are ${Object.values(MACROS).map((m) => m.usage).join(', ')}`}`,
    { where, expression: source, unknownName: macro ? undefined : pathText(expr) },
  );
}

function varShape(where: string, source: string): TemplateError {
  return new TemplateError(`${where}: cannot read ${source}: Variables are read as var.value.KEY (or var.json.KEY, var.value.get('KEY', default))`, {
    where,
    expression: source,
  });
}

function variableFailed(key: string, error: unknown, where: string, source: string): TemplateError {
  return new TemplateError(`${where}: ${source} needs the Variable "${key}": ${(error as Error)?.message ?? String(error)}`, {
    where,
    expression: source,
    unknownName: `var.value.${key}`,
    cause: error,
  });
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
