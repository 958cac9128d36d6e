import { closestName, didYouMean } from '../shared/suggest.ts';
import { FILTERS } from './filters.ts';
import { MACRO_USAGE } from './macros.ts';
import { pathOf, pathText, type Expr, type TemplateNode } from './parse.ts';
import { KNOWN, parse } from './render.ts';
import { CONTEXT_NAMES, STRING_NAMES } from './scope.ts';
import { TemplateError } from './types.ts';

/**
 * Check a template without values, as DAG loading does: every problem as a sentence naming
 * `where` (syntax errors, unknown names and filters, wrong macro calls; `params.X` against
 * `paramNames` when given). `var.value.*` is always allowed, since Variables are known only at run time.
 *
 * ```ts
 * checkTemplate('{{ dss }}', 'task "load" field "sql"');
 * // ['task "load" field "sql": unknown template variable "dss" in {{ dss }} (did you mean "ds"?); ...']
 * ```
 */
export function checkTemplate(template: string, where: string, opts: { paramNames?: string[] } = {}): string[] {
  let nodes: TemplateNode[];
  try {
    nodes = parse(template, where);
  } catch (error) {
    return [(error as Error).message];
  }
  const problems: string[] = [];
  new Checker(where, opts.paramNames, problems).nodes(nodes, new Set());
  return problems;
}

/** The static check of one template: names, params, Variables, macros and filters, without values. */
class Checker {
  constructor(
    private readonly where: string,
    private readonly paramNames: string[] | undefined,
    private readonly problems: string[],
  ) {}

  nodes(nodes: TemplateNode[], locals: Set<string>): void {
    for (const node of nodes) {
      if (node.kind === 'text') continue;
      if (node.kind === 'output') this.run(node.expr, locals, node.source);
      else if (node.kind === 'if') {
        for (const b of node.branches) {
          this.run(b.test, locals, node.source);
          this.nodes(b.body, new Set(locals));
        }
        if (node.otherwise) this.nodes(node.otherwise, new Set(locals));
      } else if (node.kind === 'for') {
        this.run(node.iter, locals, node.source);
        this.nodes(node.body, new Set([...locals, ...node.targets, 'loop']));
        if (node.otherwise) this.nodes(node.otherwise, new Set(locals));
      } else {
        this.run(node.expr, locals, node.source);
        locals.add(node.name);
      }
    }
  }

  private run(expr: Expr, locals: Set<string>, source: string): void {
    try {
      this.expr(expr, locals, source, false);
    } catch (error) {
      this.problems.push((error as Error).message);
    }
  }

  private fail(message: string, source: string, unknownName?: string): never {
    throw new TemplateError(`${this.where}: ${message}`, { where: this.where, expression: source, unknownName });
  }

  private expr(e: Expr, locals: Set<string>, source: string, lenient: boolean): void {
    const path = pathOf(e);
    if (path && !locals.has(path.root)) return this.path(path, source, lenient, false);
    switch (e.kind) {
      case 'attr':
      case 'item':
      case 'slice':
        this.expr(e.object, locals, source, lenient);
        if (e.kind === 'item') this.expr(e.key, locals, source, false);
        if (e.kind === 'slice') for (const x of [e.start, e.stop, e.step]) if (x) this.expr(x, locals, source, false);
        return;
      case 'call': {
        const callee = pathOf(e.callee);
        if (callee && !locals.has(callee.root)) this.path(callee, source, false, true, e.args.length + e.kwargs.length);
        else this.expr(e.callee, locals, source, false);
        for (const a of [...e.args, ...e.kwargs.map(([, v]) => v)]) this.expr(a, locals, source, false);
        return;
      }
      case 'filter':
        if (!FILTERS[e.name]) this.fail(`unknown filter "${e.name}" in ${source}${didYouMean(e.name, Object.keys(FILTERS))}; the filters are ${Object.keys(FILTERS).join(', ')}`, source);
        this.expr(e.value, locals, source, e.name === 'default' || e.name === 'd');
        for (const a of [...e.args, ...e.kwargs.map(([, v]) => v)]) this.expr(a, locals, source, false);
        return;
      case 'test':
        return this.expr(e.value, locals, source, e.name === 'defined' || e.name === 'undefined');
      case 'unary':
        return this.expr(e.operand, locals, source, false);
      case 'binary':
        this.expr(e.left, locals, source, false);
        return this.expr(e.right, locals, source, false);
      case 'cond':
        for (const x of [e.test, e.then, e.otherwise]) if (x) this.expr(x, locals, source, false);
        return;
      case 'list':
        for (const x of e.items) this.expr(x, locals, source, false);
        return;
      case 'dict':
        for (const [k, v] of e.entries) {
          this.expr(k, locals, source, false);
          this.expr(v, locals, source, false);
        }
        return;
      default:
        return;
    }
  }

  private path(path: { root: string; keys: (string | number)[] }, source: string, lenient: boolean, called: boolean, argCount = 0): void {
    const { root, keys } = path;
    if (!CONTEXT_NAMES.includes(root)) {
      if (lenient) return;
      this.fail(`unknown template variable "${root}" in ${source}${didYouMean(root, CONTEXT_NAMES)}; known names are ${KNOWN()}`, source, root);
    }
    if (root === 'params') {
      const first = keys[0];
      if (this.paramNames && first !== undefined && !this.paramNames.includes(String(first)) && !lenient && !(called && keys.length === 1)) {
        const name = pathText({ root, keys: [first] });
        const hint = closestName(String(first), this.paramNames);
        const listing = this.paramNames.length ? `; the DAG's params are ${this.paramNames.map((p) => `"${p}"`).join(', ')}` : "; the DAG has no params: add them to the DAG's params option";
        this.fail(`unknown template variable "${name}" in ${source}${hint === undefined ? '' : ` (did you mean "params.${hint}"?)`}${listing}`, source, name);
      }
      return;
    }
    if (root === 'var') {
      if ((keys[0] !== 'value' && keys[0] !== 'json') || keys[1] === undefined) {
        this.fail(`cannot read ${source}: Variables are read as var.value.KEY (or var.json.KEY, var.value.get('KEY', default))`, source);
      }
      return;
    }
    if (root === 'macros') {
      const key = keys[0];
      if (key === undefined) return;
      const members = ['ds_add', 'ds_format', 'datetime', 'timedelta', 'dateutil'];
      if (!members.includes(String(key))) {
        const hint = closestName(String(key), members);
        this.fail(`unknown macro "macros.${key}" in ${source}${hint ? ` (did you mean "macros.${hint}"?)` : ''}; the macros are ${Object.values(MACRO_USAGE).map((m) => m.usage).join(', ')}, macros.dateutil.relativedelta.relativedelta(months=1)`, source, `macros.${key}`);
      }
      const macro = MACRO_USAGE[String(key)];
      if (macro && keys.length === 1) {
        if (!called) this.fail(`macros.${key} in ${source} is a function: call it as ${macro.usage}`, source);
        if ((argCount < macro.minArgs || argCount > macro.maxArgs) && !macro.usage.includes('=')) {
          this.fail(`macros.${key} takes ${macro.minArgs === macro.maxArgs ? macro.minArgs : `${macro.minArgs} to ${macro.maxArgs}`} arguments, found ${argCount} in ${source}; call it as ${macro.usage}`, source);
        }
      }
      return;
    }
    if (called && keys.length === 0 && STRING_NAMES.includes(root)) {
      this.fail(`${root}(...) in ${source} cannot be called: "${root}" is a string; use {{ ${root} }}`, source, root);
    }
  }
}
