/**
 * The template grammar: text with `{{ expression }}` holes, where an expression is a string or
 * number literal, a name with `.key` / `['key']` access, or a call of such a path.
 */

/** A dotted name such as `ds`, `params.table`, `var.value['my-key']`. */
export interface PathExpr {
  kind: 'path';
  root: string;
  keys: (string | number)[];
}

export type Expr =
  | { kind: 'literal'; value: string | number }
  | PathExpr
  | { kind: 'call'; callee: PathExpr; args: Expr[] };

/** A piece of a template: literal text, or an expression with its source `{{ ... }}` for messages. */
export type Segment = { kind: 'text'; text: string } | { kind: 'hole'; source: string; body: string };

/** A syntax problem, before `where` is known; callers turn it into a TemplateError. */
export class SyntaxProblem extends Error {}

/**
 * Cut a template into text and `{{ ... }}` holes. A `}}` inside a quoted string does not close
 * a hole, so `{{ '}}' }}` works. Jinja statements and comments (`{% %}`, `{# #}`) are refused
 * rather than passed through, so a template never silently renders differently from Airflow.
 */
export function splitTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  for (;;) {
    const open = nextOpening(template, at);
    if (open === -1) break;
    if (open > at) segments.push({ kind: 'text', text: template.slice(at, open) });
    const opener = template.slice(open, open + 2);
    if (opener !== '{{') {
      throw new SyntaxProblem(
        `found "${opener}" at offset ${open}: Jinja ${opener === '{%' ? 'statements' : 'comments'} are not supported, only {{ expression }}; to write "${opener}" literally use {{ '${opener}' }}`,
      );
    }
    const close = closingBraces(template, open + 2);
    if (close === -1) {
      throw new SyntaxProblem(`"{{" at offset ${open} is never closed by "}}": ${JSON.stringify(template.slice(open, open + 40))}`);
    }
    segments.push({ kind: 'hole', source: template.slice(open, close + 2), body: template.slice(open + 2, close) });
    at = close + 2;
  }
  if (at < template.length) segments.push({ kind: 'text', text: template.slice(at) });
  return segments;
}

function nextOpening(template: string, from: number): number {
  const m = /\{[{%#]/g;
  m.lastIndex = from;
  return m.exec(template)?.index ?? -1;
}

function closingBraces(template: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < template.length; i++) {
    const c = template[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}' && template[i + 1] === '}') return i;
  }
  return -1;
}

type Token =
  | { type: 'name'; value: string }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'punct'; value: string };

const TOKEN = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(-?\d+(?:\.\d+)?)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|([.()[\],]))/y;

const UNSUPPORTED: Record<string, string> = {
  '|': 'filters ("|") are not supported',
  '+': 'arithmetic is not supported; for dates use macros.ds_add(ds, N)',
  '-': 'arithmetic is not supported; for dates use macros.ds_add(ds, N)',
  '~': 'the "~" operator is not supported',
  '=': 'comparisons and assignments are not supported',
};

function tokenize(body: string): Token[] {
  const tokens: Token[] = [];
  const re = new RegExp(TOKEN.source, 'y');
  let at = 0;
  while (/\S/.test(body.slice(at))) {
    re.lastIndex = at;
    const m = re.exec(body);
    if (!m) {
      const rest = body.slice(at).trim();
      const reason = UNSUPPORTED[rest[0]!] ?? `unexpected "${rest.slice(0, 10)}"`;
      throw new SyntaxProblem(reason);
    }
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ type: 'name', value: m[1] });
    else if (m[2] !== undefined) tokens.push({ type: 'number', value: Number(m[2]) });
    else if (m[3] !== undefined || m[4] !== undefined) tokens.push({ type: 'string', value: unescape((m[3] ?? m[4])!) });
    else tokens.push({ type: 'punct', value: m[5]! });
  }
  return tokens;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/**
 * Parse the inside of one `{{ ... }}`.
 *
 * ```ts
 * parseExpression(" macros.ds_add(ds, -1) "); // { kind: 'call', callee: { root: 'macros', keys: ['ds_add'] }, args: [...] }
 * ```
 */
export function parseExpression(body: string): Expr {
  const tokens = tokenize(body);
  if (tokens.length === 0) throw new SyntaxProblem('the expression is empty; write a name such as {{ ds }}');
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const take = (): Token | undefined => tokens[i++];
  const expectPunct = (value: string, context: string): void => {
    const t = take();
    if (t?.type !== 'punct' || t.value !== value) throw new SyntaxProblem(`expected "${value}" ${context}, found ${describe(t)}`);
  };

  function expression(): Expr {
    const t = take();
    if (!t) throw new SyntaxProblem('the expression ends too early');
    if (t.type === 'string' || t.type === 'number') return { kind: 'literal', value: t.value };
    if (t.type !== 'name') throw new SyntaxProblem(`expected a name, a number or a quoted string, found ${describe(t)}`);
    const path: PathExpr = { kind: 'path', root: t.value, keys: [] };
    for (;;) {
      const next = peek();
      if (next?.type !== 'punct') return path;
      if (next.value === '.') {
        take();
        const key = take();
        if (key?.type !== 'name') throw new SyntaxProblem(`expected a name after "${pathText(path)}.", found ${describe(key)}`);
        path.keys.push(key.value);
      } else if (next.value === '[') {
        take();
        const key = take();
        if (key?.type !== 'string' && key?.type !== 'number') throw new SyntaxProblem(`expected a quoted key or a number inside "[ ]" after "${pathText(path)}", found ${describe(key)}`);
        path.keys.push(key.value);
        expectPunct(']', `after "${pathText(path)}"`);
      } else if (next.value === '(') {
        take();
        return { kind: 'call', callee: path, args: callArguments(path) };
      } else return path;
    }
  }

  function callArguments(callee: PathExpr): Expr[] {
    const args: Expr[] = [];
    if (peek()?.type === 'punct' && peek()!.value === ')') return take(), args;
    for (;;) {
      args.push(expression());
      const t = take();
      if (t?.type === 'punct' && t.value === ')') return args;
      if (t?.type !== 'punct' || t.value !== ',') throw new SyntaxProblem(`expected "," or ")" in the arguments of ${pathText(callee)}(...), found ${describe(t)}`);
    }
  }

  const expr = expression();
  if (i < tokens.length) throw new SyntaxProblem(`unexpected ${describe(tokens[i])} after the expression; one hole holds one name or macro call`);
  return expr;
}

/** `params.a['b-c']` for a path, as a user would write it. */
export function pathText(path: { root: string; keys: readonly (string | number)[] }): string {
  return path.root + path.keys.map((k) => (typeof k === 'string' && /^[A-Za-z_]\w*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('');
}

function describe(t: Token | undefined): string {
  if (!t) return 'the end of the expression';
  if (t.type === 'string') return `the string ${JSON.stringify(t.value)}`;
  return `"${t.value}"`;
}
