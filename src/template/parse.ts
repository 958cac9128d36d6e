/**
 * The template grammar: the part of Jinja that Airflow templates use. Text with `{{ expression }}`
 * holes, `{% if %}` / `{% elif %}` / `{% else %}` / `{% endif %}`, `{% for x in xs %}` /
 * `{% else %}` / `{% endfor %}`, `{% set x = ... %}`, `{# comments #}` and the `-` whitespace
 * control of each. Expressions: literals (strings, numbers, True/False/None, lists, dicts), names,
 * `.attr`, `[key]`, slices `[a:b]`, calls with keyword arguments, filters `| name(args)`,
 * arithmetic, `~`, comparisons, `in`, `is [not] test`, `and`/`or`/`not` and `a if c else b`.
 */

export type Expr =
  | { kind: 'literal'; value: unknown }
  | { kind: 'name'; name: string }
  | { kind: 'attr'; object: Expr; name: string }
  | { kind: 'item'; object: Expr; key: Expr }
  | { kind: 'slice'; object: Expr; start: Expr | null; stop: Expr | null; step: Expr | null }
  | { kind: 'call'; callee: Expr; args: Expr[]; kwargs: [string, Expr][] }
  | { kind: 'filter'; value: Expr; name: string; args: Expr[]; kwargs: [string, Expr][] }
  | { kind: 'test'; value: Expr; name: string; negated: boolean }
  | { kind: 'unary'; op: 'not' | '-' | '+'; operand: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'cond'; test: Expr; then: Expr; otherwise: Expr | null }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'dict'; entries: [Expr, Expr][] };

/** A piece of a parsed template. `source` is the tag as written, for messages; `offset` where it starts. */
export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'output'; expr: Expr; source: string; offset: number }
  | { kind: 'if'; branches: { test: Expr; body: TemplateNode[] }[]; otherwise: TemplateNode[] | null; source: string; offset: number }
  | { kind: 'for'; targets: string[]; iter: Expr; body: TemplateNode[]; otherwise: TemplateNode[] | null; source: string; offset: number }
  | { kind: 'set'; name: string; expr: Expr; source: string; offset: number };

/** A syntax problem, before `where` is known; callers turn it into a TemplateError. `source` is the tag at fault. */
export class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly source?: string,
  ) {
    super(message);
  }
}

interface Tag {
  kind: 'text' | 'output' | 'statement';
  text: string;
  source: string;
  offset: number;
}

/** Cut a template into text, `{{ }}` and `{% %}` tags (comments dropped, `-` whitespace control applied). */
function tags(template: string): Tag[] {
  const out: Tag[] = [];
  let at = 0;
  let stripNext = false;
  const open = /\{[{%#]/g;
  for (;;) {
    open.lastIndex = at;
    const m = open.exec(template);
    let text = template.slice(at, m ? m.index : template.length);
    if (stripNext) text = text.replace(/^\s+/, '');
    stripNext = false;
    if (!m) {
      if (text) out.push({ kind: 'text', text, source: text, offset: at });
      return out;
    }
    const start = m.index;
    const opener = m[0];
    const trimLeft = template[start + 2] === '-';
    if (trimLeft) text = text.replace(/\s+$/, '');
    if (text) out.push({ kind: 'text', text, source: text, offset: at });
    const closer = opener === '{{' ? '}}' : opener === '{%' ? '%}' : '#}';
    const close = opener === '{#' ? template.indexOf('#}', start + 2) : closing(template, start + 2, closer);
    if (close === -1) {
      throw new SyntaxProblem(`"${opener}" at offset ${start} is never closed by "${closer}": ${JSON.stringify(template.slice(start, start + 40))}`);
    }
    const trimRight = template[close - 1] === '-' && close - 1 > start + 2;
    at = close + 2;
    stripNext = trimRight;
    if (opener === '{#') continue;
    const body = template.slice(start + 2 + (trimLeft ? 1 : 0), close - (trimRight ? 1 : 0));
    out.push({ kind: opener === '{{' ? 'output' : 'statement', text: body, source: template.slice(start, close + 2), offset: start });
  }
}

/** Where `closer` ends the tag opened before `from`; a closer inside a quoted string does not count. */
function closing(template: string, from: number, closer: string): number {
  let quote: string | null = null;
  for (let i = from; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (template.startsWith(closer, i)) return i;
  }
  return -1;
}

/**
 * Parse a template into nodes.
 *
 * ```ts
 * parseTemplate("{% if params.full %}TRUNCATE t{% else %}DELETE FROM t WHERE d = '{{ ds }}'{% endif %}");
 * ```
 */
export function parseTemplate(template: string): TemplateNode[] {
  const list = tags(template);
  let i = 0;

  function block(ends: string[]): { nodes: TemplateNode[]; end: string | null; tag: Tag | null } {
    const nodes: TemplateNode[] = [];
    while (i < list.length) {
      const tag = list[i++]!;
      if (tag.kind === 'text') nodes.push({ kind: 'text', text: tag.text });
      else if (tag.kind === 'output') nodes.push({ kind: 'output', expr: withSource(() => parseExpression(tag.text), tag.source), source: tag.source, offset: tag.offset });
      else {
        const word = /^\s*([A-Za-z_]\w*)/.exec(tag.text)?.[1] ?? '';
        if (ends.includes(word)) return { nodes, end: word, tag };
        nodes.push(statement(word, tag));
      }
    }
    return { nodes, end: null, tag: null };
  }

  function statement(word: string, tag: Tag): TemplateNode {
    const rest = tag.text.replace(/^\s*[A-Za-z_]\w*/, '');
    if (word === 'if') {
      const branches = [{ test: withSource(() => parseExpression(rest), tag.source), body: [] as TemplateNode[] }];
      let otherwise: TemplateNode[] | null = null;
      for (;;) {
        const inner = block(['elif', 'else', 'endif']);
        const target = otherwise ?? branches[branches.length - 1]!.body;
        target.push(...inner.nodes);
        if (inner.end === null) throw new SyntaxProblem(`${tag.source} at offset ${tag.offset} is never closed: add {% endif %}`, tag.source);
        if (inner.end === 'endif') break;
        if (otherwise) throw new SyntaxProblem(`{% ${inner.end} %} after {% else %} in ${tag.source}: else must come last`, inner.tag!.source);
        const innerRest = inner.tag!.text.replace(/^\s*[A-Za-z_]\w*/, '');
        if (inner.end === 'elif') branches.push({ test: withSource(() => parseExpression(innerRest), inner.tag!.source), body: [] });
        else otherwise = [];
      }
      return { kind: 'if', branches, otherwise, source: tag.source, offset: tag.offset };
    }
    if (word === 'for') {
      const m = /^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\s+([\s\S]+)$/.exec(rest);
      if (!m) throw new SyntaxProblem(`cannot read ${tag.source}: write {% for x in list %}`, tag.source);
      const iter = withSource(() => parseExpression(m[2]!), tag.source);
      const body = block(['else', 'endfor']);
      let otherwise: TemplateNode[] | null = null;
      if (body.end === 'else') {
        const tail = block(['endfor']);
        otherwise = tail.nodes;
        body.end = tail.end;
      }
      if (body.end === null) throw new SyntaxProblem(`${tag.source} at offset ${tag.offset} is never closed: add {% endfor %}`, tag.source);
      return { kind: 'for', targets: m[1]!.split(',').map((s) => s.trim()), iter, body: body.nodes, otherwise, source: tag.source, offset: tag.offset };
    }
    if (word === 'set') {
      const m = /^\s*([A-Za-z_]\w*)\s*=([\s\S]+)$/.exec(rest);
      if (!m) throw new SyntaxProblem(`cannot read ${tag.source}: write {% set name = expression %}`, tag.source);
      return { kind: 'set', name: m[1]!, expr: withSource(() => parseExpression(m[2]!), tag.source), source: tag.source, offset: tag.offset };
    }
    if (['elif', 'else', 'endif', 'endfor'].includes(word)) throw new SyntaxProblem(`${tag.source} at offset ${tag.offset} has no opening {% ${word === 'endfor' ? 'for' : 'if'} %}`, tag.source);
    throw new SyntaxProblem(`${tag.source}: the statement "${word}" is not supported; use if / elif / else / endif, for / endfor or set`, tag.source);
  }

  const result = block([]);
  return result.nodes;
}

function withSource<T>(parse: () => T, source: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SyntaxProblem && error.source === undefined) throw new SyntaxProblem(error.message, source);
    throw error;
  }
}

type Token =
  | { type: 'name'; value: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'op'; value: string };

const TOKEN = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\/\/|\*\*|==|!=|<=|>=|[-+*/%~|.,()[\]{}:=<>]))/y;

function tokenize(body: string): Token[] {
  const tokens: Token[] = [];
  const re = new RegExp(TOKEN.source, 'y');
  let at = 0;
  while (/\S/.test(body.slice(at))) {
    re.lastIndex = at;
    const m = re.exec(body);
    if (!m) throw new SyntaxProblem(`unexpected "${body.slice(at).trim().slice(0, 10)}"`);
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ type: 'name', value: m[1] });
    else if (m[2] !== undefined) tokens.push({ type: 'number', value: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) tokens.push({ type: 'string', value: unescape((m[3] ?? m[4])!) });
    else tokens.push({ type: 'op', value: m[5]! });
  }
  return tokens;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
const LITERAL_NAMES: Record<string, unknown> = { True: true, true: true, False: false, false: false, None: null, none: null };

/**
 * Parse one expression (the inside of `{{ ... }}`).
 *
 * ```ts
 * parseExpression(" macros.ds_add(ds, -1) ");
 * parseExpression(" data_interval_start | ds_nodash ");
 * ```
 */
export function parseExpression(body: string): Expr {
  const tokens = tokenize(body);
  if (tokens.length === 0) throw new SyntaxProblem('the expression is empty; write a name such as {{ ds }}');
  let i = 0;
  const peek = (offset = 0): Token | undefined => tokens[i + offset];
  const isOp = (t: Token | undefined, value: string): boolean => t?.type === 'op' && t.value === value;
  const isName = (t: Token | undefined, value: string): boolean => t?.type === 'name' && t.value === value;
  const expectOp = (value: string, context: string): void => {
    const t = tokens[i++];
    if (!isOp(t, value)) throw new SyntaxProblem(`expected "${value}" ${context}, found ${describe(t)}`);
  };

  function conditional(): Expr {
    const then = or();
    if (!isName(peek(), 'if')) return then;
    i++;
    const test = or();
    if (!isName(peek(), 'else')) return { kind: 'cond', test, then, otherwise: null };
    i++;
    return { kind: 'cond', test, then, otherwise: conditional() };
  }
  function or(): Expr {
    let left = and();
    while (isName(peek(), 'or')) {
      i++;
      left = { kind: 'binary', op: 'or', left, right: and() };
    }
    return left;
  }
  function and(): Expr {
    let left = not();
    while (isName(peek(), 'and')) {
      i++;
      left = { kind: 'binary', op: 'and', left, right: not() };
    }
    return left;
  }
  function not(): Expr {
    if (isName(peek(), 'not')) {
      i++;
      return { kind: 'unary', op: 'not', operand: not() };
    }
    return compare();
  }
  function compare(): Expr {
    let left = concat();
    for (;;) {
      const t = peek();
      if (t?.type === 'op' && COMPARE.has(t.value)) {
        i++;
        left = { kind: 'binary', op: t.value, left, right: concat() };
      } else if (isName(t, 'in')) {
        i++;
        left = { kind: 'binary', op: 'in', left, right: concat() };
      } else if (isName(t, 'not') && isName(peek(1), 'in')) {
        i += 2;
        left = { kind: 'unary', op: 'not', operand: { kind: 'binary', op: 'in', left, right: concat() } };
      } else if (isName(t, 'is')) {
        i++;
        const negated = isName(peek(), 'not');
        if (negated) i++;
        const name = tokens[i++];
        if (name?.type !== 'name') throw new SyntaxProblem(`expected a test name after "is", such as "none" or "defined", found ${describe(name)}`);
        left = { kind: 'test', value: left, name: name.value, negated };
      } else return left;
    }
  }
  function concat(): Expr {
    let left = sum();
    while (isOp(peek(), '~')) {
      i++;
      left = { kind: 'binary', op: '~', left, right: sum() };
    }
    return left;
  }
  function sum(): Expr {
    let left = product();
    while (isOp(peek(), '+') || isOp(peek(), '-')) {
      const op = (tokens[i++] as { value: string }).value;
      left = { kind: 'binary', op, left, right: product() };
    }
    return left;
  }
  function product(): Expr {
    let left = unary();
    while (['*', '/', '//', '%'].some((op) => isOp(peek(), op))) {
      const op = (tokens[i++] as { value: string }).value;
      left = { kind: 'binary', op, left, right: unary() };
    }
    return left;
  }
  function unary(): Expr {
    if (isOp(peek(), '-') || isOp(peek(), '+')) {
      const op = (tokens[i++] as { value: string }).value as '-' | '+';
      return filters({ kind: 'unary', op, operand: unary() });
    }
    return filters(postfix(primary()));
  }
  function filters(value: Expr): Expr {
    let expr = value;
    while (isOp(peek(), '|')) {
      i++;
      const name = tokens[i++];
      if (name?.type !== 'name') throw new SyntaxProblem(`expected a filter name after "|", found ${describe(name)}`);
      let args: Expr[] = [];
      let kwargs: [string, Expr][] = [];
      if (isOp(peek(), '(')) {
        i++;
        ({ args, kwargs } = callArguments(name.value));
      }
      expr = postfix({ kind: 'filter', value: expr, name: name.value, args, kwargs });
    }
    return expr;
  }
  function primary(): Expr {
    const t = tokens[i++];
    if (!t) throw new SyntaxProblem('the expression ends too early');
    if (t.type === 'number') return { kind: 'literal', value: t.value };
    if (t.type === 'string') {
      let value = t.value;
      while (peek()?.type === 'string') value += (tokens[i++] as { value: string }).value;
      return { kind: 'literal', value };
    }
    if (t.type === 'name') return Object.hasOwn(LITERAL_NAMES, t.value) ? { kind: 'literal', value: LITERAL_NAMES[t.value] } : { kind: 'name', name: t.value };
    if (t.value === '(') {
      const inner = conditional();
      expectOp(')', 'to close "("');
      return inner;
    }
    if (t.value === '[') {
      const items: Expr[] = [];
      while (!isOp(peek(), ']')) {
        items.push(conditional());
        if (!isOp(peek(), ']')) expectOp(',', 'between list items');
      }
      i++;
      return { kind: 'list', items };
    }
    if (t.value === '{') {
      const entries: [Expr, Expr][] = [];
      while (!isOp(peek(), '}')) {
        const key = conditional();
        expectOp(':', 'after a dict key');
        entries.push([key, conditional()]);
        if (!isOp(peek(), '}')) expectOp(',', 'between dict items');
      }
      i++;
      return { kind: 'dict', entries };
    }
    throw new SyntaxProblem(`expected a name, a number or a quoted string, found ${describe(t)}`);
  }
  function postfix(start: Expr): Expr {
    let expr = start;
    for (;;) {
      const t = peek();
      if (isOp(t, '.')) {
        i++;
        const name = tokens[i++];
        if (name?.type === 'number' && Number.isInteger(name.value)) expr = { kind: 'item', object: expr, key: { kind: 'literal', value: name.value } };
        else if (name?.type !== 'name') throw new SyntaxProblem(`expected a name after "${exprText(expr)}.", found ${describe(name)}`);
        else expr = { kind: 'attr', object: expr, name: name.value };
      } else if (isOp(t, '[')) {
        i++;
        expr = subscript(expr);
      } else if (isOp(t, '(')) {
        i++;
        const { args, kwargs } = callArguments(exprText(expr));
        expr = { kind: 'call', callee: expr, args, kwargs };
      } else return expr;
    }
  }
  function subscript(object: Expr): Expr {
    const part = (): Expr | null => (isOp(peek(), ':') || isOp(peek(), ']') ? null : conditional());
    const start = part();
    if (isOp(peek(), ']')) {
      i++;
      if (!start) throw new SyntaxProblem(`expected a key inside "[ ]" after "${exprText(object)}"`);
      return { kind: 'item', object, key: start };
    }
    expectOp(':', `inside "[ ]" after "${exprText(object)}"`);
    const stop = part();
    let step: Expr | null = null;
    if (isOp(peek(), ':')) {
      i++;
      step = part();
    }
    expectOp(']', `to close the slice of "${exprText(object)}"`);
    return { kind: 'slice', object, start, stop, step };
  }
  function callArguments(callee: string): { args: Expr[]; kwargs: [string, Expr][] } {
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    if (isOp(peek(), ')')) return i++, { args, kwargs };
    for (;;) {
      if (peek()?.type === 'name' && isOp(peek(1), '=')) {
        const name = (tokens[i] as { value: string }).value;
        i += 2;
        kwargs.push([name, conditional()]);
      } else {
        if (kwargs.length) throw new SyntaxProblem(`a positional argument follows a keyword argument in ${callee}(...)`);
        args.push(conditional());
      }
      const t = tokens[i++];
      if (isOp(t, ')')) return { args, kwargs };
      if (!isOp(t, ',')) throw new SyntaxProblem(`expected "," or ")" in the arguments of ${callee}(...), found ${describe(t)}`);
    }
  }

  const expr = conditional();
  if (i < tokens.length) throw new SyntaxProblem(`unexpected ${describe(tokens[i])} after the expression`);
  return expr;
}

/** A dotted path (`params.a['b-c']`) when the expression is only names, attributes and constant keys. */
export function pathOf(expr: Expr): { root: string; keys: (string | number)[] } | null {
  if (expr.kind === 'name') return { root: expr.name, keys: [] };
  if (expr.kind === 'attr' || (expr.kind === 'item' && expr.key.kind === 'literal' && (typeof expr.key.value === 'string' || typeof expr.key.value === 'number'))) {
    const base = pathOf(expr.object);
    if (!base) return null;
    return { root: base.root, keys: [...base.keys, expr.kind === 'attr' ? expr.name : (expr.key as { value: string | number }).value] };
  }
  return null;
}

/** `params.a['b-c']` for a path, as a user would write it. */
export function pathText(path: { root: string; keys: readonly (string | number)[] }): string {
  return path.root + path.keys.map((k) => (typeof k === 'string' && /^[A-Za-z_]\w*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('');
}

/** An expression as text, for messages (paths as written, anything else summarised). */
export function exprText(expr: Expr): string {
  const path = pathOf(expr);
  if (path) return pathText(path);
  if (expr.kind === 'call') return `${exprText(expr.callee)}(...)`;
  if (expr.kind === 'filter') return `${exprText(expr.value)} | ${expr.name}`;
  if (expr.kind === 'literal') return JSON.stringify(expr.value);
  if (expr.kind === 'attr') return `${exprText(expr.object)}.${expr.name}`;
  return 'the expression';
}

function describe(t: Token | undefined): string {
  if (!t) return 'the end of the expression';
  if (t.type === 'string') return `the string ${JSON.stringify(t.value)}`;
  return `"${t.value}"`;
}
