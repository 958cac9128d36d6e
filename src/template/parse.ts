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
  const parser = new ExpressionParser(tokens);
  const expr = parser.conditional();
  if (parser.i < tokens.length) throw new SyntaxProblem(`unexpected ${describe(tokens[parser.i])} after the expression`);
  return expr;
}

/** Whether `t` is the operator `value`. */
function isOp(t: Token | undefined, value: string): boolean {
  return t?.type === 'op' && t.value === value;
}

/** Whether `t` is the name (keyword) `value`. */
function isName(t: Token | undefined, value: string): boolean {
  return t?.type === 'name' && t.value === value;
}

/** A recursive-descent parser over the tokens of one expression; `i` is the cursor. */
class ExpressionParser {
  i = 0;

  constructor(private readonly tokens: Token[]) {}

  /** The token `offset` places after the cursor, without consuming it. */
  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  /** Consume the operator `value` or fail, saying where it was expected. */
  expectOp(value: string, context: string): void {
    const t = this.tokens[this.i++];
    if (!isOp(t, value)) throw new SyntaxProblem(`expected "${value}" ${context}, found ${describe(t)}`);
  }

  /** `a if c else b` (the lowest precedence). */
  conditional(): Expr {
    const then = this.or();
    if (!isName(this.peek(), 'if')) return then;
    this.i++;
    const test = this.or();
    if (!isName(this.peek(), 'else')) return { kind: 'cond', test, then, otherwise: null };
    this.i++;
    return { kind: 'cond', test, then, otherwise: this.conditional() };
  }

  /** `a or b`. */
  or(): Expr {
    let left = this.and();
    while (isName(this.peek(), 'or')) {
      this.i++;
      left = { kind: 'binary', op: 'or', left, right: this.and() };
    }
    return left;
  }

  /** `a and b`. */
  and(): Expr {
    let left = this.not();
    while (isName(this.peek(), 'and')) {
      this.i++;
      left = { kind: 'binary', op: 'and', left, right: this.not() };
    }
    return left;
  }

  /** `not a`. */
  not(): Expr {
    if (isName(this.peek(), 'not')) {
      this.i++;
      return { kind: 'unary', op: 'not', operand: this.not() };
    }
    return this.compare();
  }

  /** Comparisons, `in`, `not in` and `is [not] test`. */
  compare(): Expr {
    let left = this.concat();
    for (;;) {
      const t = this.peek();
      if (t?.type === 'op' && COMPARE.has(t.value)) {
        this.i++;
        left = { kind: 'binary', op: t.value, left, right: this.concat() };
      } else if (isName(t, 'in')) {
        this.i++;
        left = { kind: 'binary', op: 'in', left, right: this.concat() };
      } else if (isName(t, 'not') && isName(this.peek(1), 'in')) {
        this.i += 2;
        left = { kind: 'unary', op: 'not', operand: { kind: 'binary', op: 'in', left, right: this.concat() } };
      } else if (isName(t, 'is')) {
        this.i++;
        const negated = isName(this.peek(), 'not');
        if (negated) this.i++;
        const name = this.tokens[this.i++];
        if (name?.type !== 'name') throw new SyntaxProblem(`expected a test name after "is", such as "none" or "defined", found ${describe(name)}`);
        left = { kind: 'test', value: left, name: name.value, negated };
      } else return left;
    }
  }

  /** String concatenation with `~`. */
  concat(): Expr {
    let left = this.sum();
    while (isOp(this.peek(), '~')) {
      this.i++;
      left = { kind: 'binary', op: '~', left, right: this.sum() };
    }
    return left;
  }

  /** `+` and `-`. */
  sum(): Expr {
    let left = this.product();
    while (isOp(this.peek(), '+') || isOp(this.peek(), '-')) {
      const op = (this.tokens[this.i++] as { value: string }).value;
      left = { kind: 'binary', op, left, right: this.product() };
    }
    return left;
  }

  /** `*`, `/`, `//` and `%`. */
  product(): Expr {
    let left = this.unary();
    while (['*', '/', '//', '%'].some((op) => isOp(this.peek(), op))) {
      const op = (this.tokens[this.i++] as { value: string }).value;
      left = { kind: 'binary', op, left, right: this.unary() };
    }
    return left;
  }

  /** Unary `-` / `+`, then filters over a postfix expression. */
  unary(): Expr {
    if (isOp(this.peek(), '-') || isOp(this.peek(), '+')) {
      const op = (this.tokens[this.i++] as { value: string }).value as '-' | '+';
      return this.filters({ kind: 'unary', op, operand: this.unary() });
    }
    return this.filters(this.postfix(this.primary()));
  }

  /** `| name(args)` filters applied to `value`. */
  filters(value: Expr): Expr {
    let expr = value;
    while (isOp(this.peek(), '|')) {
      this.i++;
      const name = this.tokens[this.i++];
      if (name?.type !== 'name') throw new SyntaxProblem(`expected a filter name after "|", found ${describe(name)}`);
      let args: Expr[] = [];
      let kwargs: [string, Expr][] = [];
      if (isOp(this.peek(), '(')) {
        this.i++;
        ({ args, kwargs } = this.callArguments(name.value));
      }
      expr = this.postfix({ kind: 'filter', value: expr, name: name.value, args, kwargs });
    }
    return expr;
  }

  /** A literal, a name, a parenthesised expression, a list or a dict. */
  primary(): Expr {
    const t = this.tokens[this.i++];
    if (!t) throw new SyntaxProblem('the expression ends too early');
    if (t.type === 'number') return { kind: 'literal', value: t.value };
    if (t.type === 'string') {
      let value = t.value;
      while (this.peek()?.type === 'string') value += (this.tokens[this.i++] as { value: string }).value;
      return { kind: 'literal', value };
    }
    if (t.type === 'name') return Object.hasOwn(LITERAL_NAMES, t.value) ? { kind: 'literal', value: LITERAL_NAMES[t.value] } : { kind: 'name', name: t.value };
    if (t.value === '(') {
      const inner = this.conditional();
      this.expectOp(')', 'to close "("');
      return inner;
    }
    if (t.value === '[') {
      const items: Expr[] = [];
      while (!isOp(this.peek(), ']')) {
        items.push(this.conditional());
        if (!isOp(this.peek(), ']')) this.expectOp(',', 'between list items');
      }
      this.i++;
      return { kind: 'list', items };
    }
    if (t.value === '{') {
      const entries: [Expr, Expr][] = [];
      while (!isOp(this.peek(), '}')) {
        const key = this.conditional();
        this.expectOp(':', 'after a dict key');
        entries.push([key, this.conditional()]);
        if (!isOp(this.peek(), '}')) this.expectOp(',', 'between dict items');
      }
      this.i++;
      return { kind: 'dict', entries };
    }
    throw new SyntaxProblem(`expected a name, a number or a quoted string, found ${describe(t)}`);
  }

  /** `.attr`, `[key]` / slices and calls after `start`. */
  postfix(start: Expr): Expr {
    let expr = start;
    for (;;) {
      const t = this.peek();
      if (isOp(t, '.')) {
        this.i++;
        const name = this.tokens[this.i++];
        if (name?.type === 'number' && Number.isInteger(name.value)) expr = { kind: 'item', object: expr, key: { kind: 'literal', value: name.value } };
        else if (name?.type !== 'name') throw new SyntaxProblem(`expected a name after "${exprText(expr)}.", found ${describe(name)}`);
        else expr = { kind: 'attr', object: expr, name: name.value };
      } else if (isOp(t, '[')) {
        this.i++;
        expr = this.subscript(expr);
      } else if (isOp(t, '(')) {
        this.i++;
        const { args, kwargs } = this.callArguments(exprText(expr));
        expr = { kind: 'call', callee: expr, args, kwargs };
      } else return expr;
    }
  }

  /** The inside of `[ ]` after `object`: a key or a slice (the `[` is consumed). */
  subscript(object: Expr): Expr {
    const part = (): Expr | null => (isOp(this.peek(), ':') || isOp(this.peek(), ']') ? null : this.conditional());
    const start = part();
    if (isOp(this.peek(), ']')) {
      this.i++;
      if (!start) throw new SyntaxProblem(`expected a key inside "[ ]" after "${exprText(object)}"`);
      return { kind: 'item', object, key: start };
    }
    this.expectOp(':', `inside "[ ]" after "${exprText(object)}"`);
    const stop = part();
    let step: Expr | null = null;
    if (isOp(this.peek(), ':')) {
      this.i++;
      step = part();
    }
    this.expectOp(']', `to close the slice of "${exprText(object)}"`);
    return { kind: 'slice', object, start, stop, step };
  }

  /** Positional and keyword arguments up to `)` (the `(` is consumed). */
  callArguments(callee: string): { args: Expr[]; kwargs: [string, Expr][] } {
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    if (isOp(this.peek(), ')')) return this.i++, { args, kwargs };
    for (;;) {
      if (this.peek()?.type === 'name' && isOp(this.peek(1), '=')) {
        const name = (this.tokens[this.i] as { value: string }).value;
        this.i += 2;
        kwargs.push([name, this.conditional()]);
      } else {
        if (kwargs.length) throw new SyntaxProblem(`a positional argument follows a keyword argument in ${callee}(...)`);
        args.push(this.conditional());
      }
      const t = this.tokens[this.i++];
      if (isOp(t, ')')) return { args, kwargs };
      if (!isOp(t, ',')) throw new SyntaxProblem(`expected "," or ")" in the arguments of ${callee}(...), found ${describe(t)}`);
    }
  }
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
