/**
 * A small SQL lexer for the two dialects dagbox talks to. It knows exactly enough to find
 * statement boundaries, string literals, identifiers, placeholders and Redshift's `#temp` names
 * without ever mistaking text inside a literal or a comment for SQL: that is what lets dagbox bind
 * templated values and rewrite Redshift statements safely. It never fails; an unterminated literal
 * or comment runs to the end of the text and the database reports it.
 */
import { escapeRegExp } from '../shared/regexp.ts';

/** Which database the SQL is written for. */
export type Dialect = 'postgres' | 'mysql';

/** What a token is. */
export type TokenKind =
  /** Whitespace. */
  | 'space'
  /** `-- ...`, `/* ... *\/`, and MySQL's `# ...` (MySQL's `/*! ... *\/` is SQL, not a comment). */
  | 'comment'
  /** A keyword or unquoted identifier. */
  | 'word'
  /** A quoted identifier: `"name"` (Postgres) or `` `name` `` (MySQL). */
  | 'quoted'
  /** A string literal: `'...'`, `E'...'`, `$tag$...$tag$`, MySQL's `"..."`. */
  | 'string'
  | 'number'
  /** A placeholder: `$1` (Postgres) or `?` (MySQL). */
  | 'param'
  /** A Redshift temporary table name, `#stage` (Postgres dialect only). */
  | 'temp'
  /** A template hole stand-in (see {@link HOLE_OPEN}); only in templates being bound. */
  | 'hole'
  | 'semicolon'
  /** Any other character; `::` is one token. */
  | 'punct';

/** One token: its kind, its exact text, and where it sits in the input. */
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

/** Marks a template hole in text being lexed: `\uE000<n>\uE001` stands for hole number n. */
export const HOLE_OPEN = '\uE000';
export const HOLE_CLOSE = '\uE001';

// U+E000..U+E003 are dagbox's template-hole markers, never part of a word: a hole glued to a name
// (`part_{{ ds_nodash }}`) must stay a token of its own for the binder to check it.
const WORD_START = /[A-Za-z_\u0080-\udfff\ue004-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\udfff\ue004-\uffff]/;

/**
 * Cut `text` into tokens; concatenating their texts gives `text` back.
 *
 * ```ts
 * lexSql("select 'a;b' from t; select 2", 'postgres').filter((t) => t.kind === 'semicolon').length; // 1
 * ```
 */
export function lexSql(text: string, dialect: Dialect): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  // MySQL runs the text of `/*! ... */` and `/*M! ... */` as SQL: it is lexed as SQL, between
  // two punct tokens (the opener with its optional version number, and the closing `*/`).
  let executable = false;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, text: text.slice(i, end), start: i, end });
    i = end;
  };
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1] ?? '';
    if (/\s/.test(c)) push('space', scanWhile(text, i, (ch) => /\s/.test(ch)));
    else if (dialect === 'mysql' && !executable && c === '/' && /^\/\*M?!/.test(text.slice(i, i + 4))) {
      executable = true;
      push('punct', scanWhile(text, i + text.slice(i, i + 4).indexOf('!') + 1, (ch) => /\d/.test(ch)));
    } else if (executable && c === '*' && next === '/') {
      executable = false;
      push('punct', i + 2);
    }
    else if (c === '-' && next === '-' && (dialect === 'postgres' || /^\s?$/.test(text[i + 2] ?? ''))) push('comment', lineEnd(text, i));
    else if (c === '#' && dialect === 'mysql') push('comment', lineEnd(text, i));
    else if (c === '/' && next === '*') push('comment', blockCommentEnd(text, i, dialect === 'postgres'));
    else if (c === HOLE_OPEN) push('hole', holeEnd(text, i));
    else if (c === "'") push('string', quotedEnd(text, i, "'", dialect === 'mysql'));
    else if (c === '"') push(dialect === 'mysql' ? 'string' : 'quoted', quotedEnd(text, i, '"', dialect === 'mysql'));
    else if (c === '`' && dialect === 'mysql') push('quoted', quotedEnd(text, i, '`', false));
    else if (dialect === 'postgres' && /[eE]/.test(c) && next === "'") push('string', quotedEnd(text, i + 1, "'", true));
    else if (/[nNbBxX]/.test(c) && next === "'") push('string', quotedEnd(text, i + 1, "'", dialect === 'mysql'));
    else if (dialect === 'postgres' && c === '$' && /\d/.test(next)) push('param', scanWhile(text, i + 1, (ch) => /\d/.test(ch)));
    else if (dialect === 'postgres' && c === '$' && dollarTag(text, i) !== null) push('string', dollarEnd(text, i, dollarTag(text, i)!));
    else if (dialect === 'mysql' && c === '?') push('param', i + 1);
    else if (dialect === 'postgres' && c === '#' && WORD_START.test(next)) push('temp', scanWhile(text, i + 1, (ch) => WORD_PART.test(ch)));
    else if (/\d/.test(c) || (c === '.' && /\d/.test(next))) push('number', numberEnd(text, i));
    else if (WORD_START.test(c)) push('word', scanWhile(text, i, (ch) => WORD_PART.test(ch)));
    else if (c === ';') push('semicolon', i + 1);
    else if (c === ':' && next === ':') push('punct', i + 2);
    else push('punct', i + 1);
  }
  return tokens;
}

function scanWhile(text: string, from: number, ok: (ch: string) => boolean): number {
  let j = from;
  while (j < text.length && ok(text[j]!)) j++;
  return j;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

function blockCommentEnd(text: string, from: number, nested: boolean): number {
  let depth = 0;
  let j = from;
  while (j < text.length) {
    if (text.startsWith('/*', j)) {
      depth = nested ? depth + 1 : 1;
      j += 2;
    } else if (text.startsWith('*/', j)) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return text.length;
}

function holeEnd(text: string, from: number): number {
  const close = text.indexOf(HOLE_CLOSE, from);
  return close < 0 ? text.length : close + 1;
}

/** End of a literal opened by `quote` at `from`: a doubled quote is one quote; with `backslash`, `\x` escapes x. */
function quotedEnd(text: string, from: number, quote: string, backslash: boolean): number {
  let j = from + 1;
  while (j < text.length) {
    const ch = text[j]!;
    if (backslash && ch === '\\') j += 2;
    else if (ch === quote) {
      if (text[j + 1] === quote) j += 2;
      else return j + 1;
    } else j++;
  }
  return text.length;
}

function dollarTag(text: string, from: number): string | null {
  const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(from, from + 64));
  return m ? m[0] : null;
}

function dollarEnd(text: string, from: number, tag: string): number {
  const close = text.indexOf(tag, from + tag.length);
  return close < 0 ? text.length : close + tag.length;
}

function numberEnd(text: string, from: number): number {
  const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(from));
  return from + (m ? m[0].length : 1);
}

/** A statement: its tokens, without the `;` that ended it. */
export interface Statement {
  tokens: Token[];
  /** Its text, as written (leading and trailing space and comments kept). */
  text: string;
}

/** True for tokens that carry no meaning: whitespace and comments. */
export function isTrivia(token: Token): boolean {
  return token.kind === 'space' || token.kind === 'comment';
}

/**
 * Split tokens into statements at top-level `;`. Statements holding only whitespace and
 * comments are dropped.
 */
export function splitStatements(tokens: readonly Token[]): Statement[] {
  const statements: Statement[] = [];
  let current: Token[] = [];
  const flush = () => {
    if (current.some((t) => !isTrivia(t))) statements.push({ tokens: current, text: current.map((t) => t.text).join('') });
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'semicolon') flush();
    else current.push(token);
  }
  flush();
  return statements;
}

/** The first keyword of a statement, upper-cased (`SELECT`, `COPY`, ...), skipping opening parentheses. */
export function leadingKeyword(tokens: readonly Token[]): string {
  for (const t of tokens) {
    if (isTrivia(t) || (t.kind === 'punct' && t.text === '(')) continue;
    return t.kind === 'word' ? t.text.toUpperCase() : '';
  }
  return '';
}

/** True when the token is the keyword `word` (any case). */
export function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === word;
}

/**
 * The value of a string-literal token: quotes removed, doubled quotes undone, and backslash
 * escapes decoded where the literal has them (Postgres `E'...'`, MySQL strings).
 */
export function stringValue(token: Token, dialect: Dialect): string {
  const text = token.text;
  if (text.startsWith('$')) {
    const tag = dollarTag(text, 0) ?? '$$';
    return text.slice(tag.length, text.length - tag.length);
  }
  const prefixed = /^[eEnNbBxX]'/.test(text);
  const body = prefixed ? text.slice(1) : text;
  const quote = body[0]!;
  const inner = body.slice(1, body.endsWith(quote) && body.length > 1 ? -1 : undefined);
  const backslashes = dialect === 'mysql' || /^[eE]/.test(text);
  if (!backslashes) return inner.replaceAll(quote + quote, quote);
  return inner.replace(new RegExp(`\\\\(.)|${escapeRegExp(quote)}${escapeRegExp(quote)}`, 'gs'), (_match, escaped: string | undefined) =>
    escaped === undefined ? quote : (BACKSLASH_ESCAPES[escaped] ?? (dialect === 'mysql' && (escaped === '%' || escaped === '_') ? `\\${escaped}` : escaped)),
  );
}

const BACKSLASH_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a', f: '\f' };

