import { parseTemplate, type TemplateNode } from './parse.ts';
import { TemplateError, type TemplatePart } from './types.ts';
import { HOLE_CLOSE, HOLE_OPEN, isTrivia, leadingKeyword, lexSql, splitStatements, stringValue, type Dialect, type Token } from '../sql/sql-lexer.ts';

/** One statement ready to send: text with placeholders, and the values bound to them, in order. */
export interface BoundStatement {
  /** The SQL with `$n` (Postgres) or `?` (MySQL) placeholders. */
  text: string;
  values: unknown[];
}

/**
 * Values for the placeholders the SQL itself writes: an array for `$1, $2, ...` (Postgres) or
 * `?` (MySQL), or an object for `:name` placeholders (either database).
 */
export type SqlParameters = readonly unknown[] | Readonly<Record<string, unknown>>;

/** Options of {@link bindSqlTemplate}. */
export interface BindOptions {
  dialect: Dialect;
  /** Renders the template into its parts with the run's values: `ctx.renderParts`. */
  render: (template: string) => TemplatePart[];
  parameters?: SqlParameters;
  /** Where the SQL comes from, for errors: `dags/nps.ts:12: task "extract" of DAG "nps", field "sql"`. */
  where: string;
  /** Masks secrets in a value quoted by an error message: `ctx.mask`. */
  mask?: (text: string) => string;
}

/** A SQL template rendered once: the statements to send, and the same rendering as text, for display. */
export interface BoundSql {
  statements: BoundStatement[];
  /** The template rendered, values written in (what `dagbox tasks render` shows). */
  rendered: string;
}

const IDENTIFIER_OR_NUMBER = /^(?:[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)*|-?\d+(?:\.\d+)?)$/;
const IDENTIFIER_FRAGMENT = /^[A-Za-z0-9_]*$/;
const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const TYPED_LITERALS: Record<Dialect, Record<string, string>> = {
  postgres: { DATE: 'date', TIME: 'time', TIMESTAMP: 'timestamp', TIMESTAMPTZ: 'timestamptz', INTERVAL: 'interval' },
  mysql: { DATE: 'DATE', TIME: 'TIME(6)', TIMESTAMP: 'DATETIME(6)' },
};
/** Tokens that continue a name when a hole is glued to them: `part_{{ ds_nodash }}`, `{{ schema }}.t`. */
const NAME_PARTS = new Set(['word', 'number', 'temp', 'hole', 'quoted']);

/**
 * Turn a templated SQL string into statements whose template values are **bound parameters**,
 * never text spliced into SQL. This is how every dagbox operator runs templated SQL.
 *
 * The rule: a quoted string literal that contains `{{ ... }}` becomes one placeholder, bound to
 * the literal's content with the holes rendered. So the course's
 * `WHERE DATE(created_at) = DATE('{{ ds }}')` is sent as `WHERE DATE(created_at) = DATE(?)` with
 * `['2021-02-05']`, and a variable holding `'); DROP TABLE x; --` arrives as that string and runs
 * nothing. A typed literal `DATE '{{ ds }}'` becomes `CAST($1 AS date)`.
 *
 * Where SQL cannot take a parameter, a value is written into the text, exactly as Jinja renders
 * it, only if it cannot change the statement's meaning, and is an error otherwise:
 * - a hole glued to a name (`part_{{ ds_nodash }}`, `{{ params.schema }}.t`, `#stage_{{ ds_nodash }}`)
 *   must render to a name fragment: letters, digits and `_`;
 * - a hole standing alone outside quotes (a table name, `LIMIT {{ params.n }}`) must render to
 *   an identifier (`raw_data.nps`) or a number;
 * - inside UNLOAD's query (SQL text that Redshift, too, takes as a string) a value must be an
 *   identifier, a number or an ISO date/timestamp;
 * - inside a quoted identifier it must not hold the quote character;
 * - a hole inside a comment is refused: a comment cannot take a bound value, and MySQL runs
 *   `/*! ... *\/` comments as SQL.
 *
 * `parameters` fill the SQL's own placeholders (`$1`/`?`, or `:name` with an object), and every
 * statement sees the same parameters, as in Airflow. The template is split into statements at
 * top-level `;`, each bound on its own (Postgres and MySQL bind one statement at a time).
 *
 * ```ts
 * bindSqlTemplate("SELECT * FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')", {
 *   dialect: 'mysql', render: ctx.renderParts, where: 'task "extract"',
 * });
 * // [{ text: 'SELECT * FROM prod.nps WHERE DATE(created_at) = DATE(?)', values: ['2021-02-05'] }]
 * ```
 */
export function bindSqlTemplate(template: string, options: BindOptions): BoundStatement[] {
  return bindSql(template, options).statements;
}

/**
 * {@link bindSqlTemplate}, also returning the rendering as text: one rendering serves both the
 * statements sent and what is displayed (`tasks render`, logs), so what is shown is what runs.
 */
export function bindSql(template: string, options: BindOptions): BoundSql {
  const parts = options.render(template);
  const { text, holes } = markHoles(parts, options.where);
  const statements = splitStatements(lexSql(text, options.dialect));
  const bound = statements.map((statement, i) => new StatementBinder(statement.tokens, holes, options, statements.length > 1 ? `${options.where}, statement ${i + 1}` : options.where).bind());
  return { statements: bound, rendered: parts.map((p) => p.text).join('') };
}

/**
 * Problems a SQL template has whatever its values, for DAG loading: a `{{ ... }}` inside a SQL
 * comment (every branch of `{% if %}` and the body of `{% for %}` are looked at). Syntax errors
 * are left to the template check.
 */
export function sqlTemplateProblems(template: string, dialect: Dialect, where: string): string[] {
  let nodes: TemplateNode[];
  try {
    nodes = parseTemplate(template);
  } catch {
    return [];
  }
  const sources: string[] = [];
  const flatten = (list: TemplateNode[]): string =>
    list
      .map((n) => {
        if (n.kind === 'text') return n.text;
        if (n.kind === 'output') return `${HOLE_OPEN}${sources.push(n.source) - 1}${HOLE_CLOSE}`;
        if (n.kind === 'if') return [...n.branches.map((b) => flatten(b.body)), flatten(n.otherwise ?? [])].join('\n');
        if (n.kind === 'for') return `${flatten(n.body)}\n${flatten(n.otherwise ?? [])}`;
        return '';
      })
      .join('');
  const text = flatten(nodes);
  return lexSql(text, dialect)
    .filter((t) => t.kind === 'comment' && t.text.includes(HOLE_OPEN))
    .map((t) => commentProblem(sources[Number(/\uE000(\d+)\uE001/.exec(t.text)![1])]!, where).message);
}

function commentProblem(source: string, where: string): TemplateError {
  return new TemplateError(
    `${where}: ${source} is inside a SQL comment, which cannot take a bound value (and MySQL runs /*! ... */ comments as SQL); ` +
      'move the value out of the comment, or write the note as a template comment {# ... #}, which is removed before the SQL is sent',
    { where, expression: source },
  );
}

interface Hole {
  source: string;
  value: string;
}

/** The rendered template with each value replaced by a marker the lexer keeps whole, and the values. */
function markHoles(parts: TemplatePart[], where: string): { text: string; holes: Hole[] } {
  const holes: Hole[] = [];
  let text = '';
  for (const part of parts) {
    if (part.kind === 'text') {
      if (/[\uE000-\uE003]/.test(part.text)) {
        throw new TemplateError(`${where}: the SQL contains the private-use characters U+E000..U+E003, which dagbox reserves; remove them`, { where });
      }
      text += part.text;
    } else {
      text += `${HOLE_OPEN}${holes.length}${HOLE_CLOSE}`;
      holes.push({ source: part.source, value: part.text });
    }
  }
  return { text, holes };
}

interface Piece {
  text: string;
  word: string;
}

/** Binds one statement: walks its tokens, emitting text and collecting values. */
class StatementBinder {
  private readonly out: Piece[] = [];
  private readonly values: unknown[] = [];
  /** Postgres: the user's `$n` renumbered in order of first use. */
  private readonly pgUserParams = new Map<number, number>();
  private userPlaceholders = 0;
  private readonly unload: boolean;
  private unloadQuerySeen = false;

  constructor(
    private readonly tokens: Token[],
    private readonly holes: Hole[],
    private readonly options: BindOptions,
    private readonly where: string,
  ) {
    this.unload = leadingKeyword(tokens) === 'UNLOAD';
  }

  bind(): BoundStatement {
    const pgUser: unknown[] = [];
    const template: unknown[] = [];
    for (let i = 0; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.kind === 'hole') this.emit(this.hole(i));
      else if (t.kind === 'string') this.literal(t, template);
      else if (t.kind === 'quoted' && t.text.includes(HOLE_OPEN)) this.emit(this.replaceHoles(t.text, (v) => !v.includes(t.text[0]!) && !v.includes('\0'), 'inside a quoted identifier', 'use a plain identifier'));
      else if (t.kind === 'comment' && t.text.includes(HOLE_OPEN)) throw this.inComment(t);
      else if (t.kind === 'param') this.userParam(t, pgUser);
      else if (this.isNamedParam(i)) {
        const name = this.tokens[i + 1]!.text;
        i++;
        this.emit(this.placeholder(this.named(name), pgUser, 'user'), '$');
      } else this.emit(t.text, t.kind === 'word' ? t.text.toUpperCase() : t.kind === 'temp' ? '#' : isTrivia(t) ? '' : t.text);
    }
    // Postgres numbers the user's placeholders first, then the template's.
    const offset = this.options.dialect === 'postgres' ? pgUser.length : 0;
    const text = this.out.map((p) => p.text).join('').replace(/\uE002(\d+)\uE003/g, (_, n: string) => `$${Number(n) + offset}`);
    if (/[\uE000-\uE003]/.test(text)) throw new Error(`${this.where}: internal error: a template marker was left in the SQL; please report this with the SQL`);
    return { text: text.trim(), values: this.options.dialect === 'postgres' ? [...pgUser, ...template] : this.values };
  }

  private emit(text: string, word = ''): void {
    this.out.push({ text, word });
  }

  /** A string literal: bound when it holds holes, kept as it is otherwise. */
  private literal(t: Token, template: unknown[]): void {
    const firstUnloadQuery = this.unload && !this.unloadQuerySeen && this.lastSignificant()?.text === '(';
    if (firstUnloadQuery) this.unloadQuerySeen = true;
    if (!t.text.includes(HOLE_OPEN)) return this.emit(t.text, "'");
    if (firstUnloadQuery) {
      return this.emit(this.replaceHoles(t.text, (v) => IDENTIFIER_OR_NUMBER.test(v) || DATE_OR_TIME.test(v), "inside UNLOAD's query text", 'use sqlToS3, which binds values, or keep the value to a date, number or name'));
    }
    if (!/^['"]/.test(t.text)) {
      throw new TemplateError(
        `${this.where}: a template value sits in the literal ${preview(t.text)}, which is not a plain '...' string; values are bound only from plain quoted strings: write '{{ ... }}'`,
        { where: this.where },
      );
    }
    const value = this.replaceHoles(stringValue(t, this.options.dialect), () => true, '', '');
    const cast = this.typedLiteralCast();
    const marker = this.placeholder(value, template, 'template');
    this.emit(cast ? `CAST(${marker} AS ${cast})` : marker);
  }

  /** For `DATE '...'`: drops the type keyword already emitted and returns the type to cast to. */
  private typedLiteralCast(): string | null {
    const significant = this.out.filter((p) => p.word !== '');
    const last = significant[significant.length - 1];
    let type = last ? TYPED_LITERALS[this.options.dialect][last.word] : undefined;
    let keep = last ? this.out.lastIndexOf(last) : -1;
    if (!type && last?.word === 'ZONE' && this.options.dialect === 'postgres') {
      const words = significant.slice(-4).map((p) => p.word).join(' ');
      if (words === 'TIMESTAMP WITH TIME ZONE' || words === 'TIMESTAMP WITHOUT TIME ZONE') {
        type = words.toLowerCase();
        keep = this.out.lastIndexOf(significant[significant.length - 4]!);
      }
    }
    if (!type) return null;
    this.out.splice(keep);
    return type;
  }

  /** Emits a placeholder for `value` and records it; returns the placeholder text. */
  private placeholder(value: unknown, list: unknown[], from: 'user' | 'template'): string {
    if (this.options.dialect === 'mysql') {
      this.values.push(value);
      return '?';
    }
    list.push(value);
    // Template placeholders are numbered after the user's, which are only all known at the end.
    return from === 'user' ? `$${list.length}` : `\uE002${list.length}\uE003`;
  }

  private userParam(t: Token, pgUser: unknown[]): void {
    const parameters = this.options.parameters;
    if (parameters !== undefined && !Array.isArray(parameters)) {
      throw new TemplateError(`${this.where}: the SQL uses the positional placeholder ${t.text}, but parameters is an object; use :name placeholders with an object, or pass an array`, { where: this.where });
    }
    const list = (parameters ?? []) as readonly unknown[];
    if (this.options.dialect === 'mysql') {
      const at = this.userPlaceholders++;
      if (at >= list.length) throw this.countError(at + 1, list.length);
      this.values.push(list[at]);
      return this.emit('?', '?');
    }
    const n = Number(t.text.slice(1));
    if (n < 1 || n > list.length) throw this.countError(n, list.length, t.text);
    let mapped = this.pgUserParams.get(n);
    if (mapped === undefined) {
      pgUser.push(list[n - 1]);
      mapped = pgUser.length;
      this.pgUserParams.set(n, mapped);
    }
    this.emit(`$${mapped}`, '$');
  }

  private isNamedParam(i: number): boolean {
    const parameters = this.options.parameters;
    if (parameters === undefined || Array.isArray(parameters)) return false;
    const t = this.tokens[i]!;
    const next = this.tokens[i + 1];
    const prev = this.tokens[i - 1];
    return t.kind === 'punct' && t.text === ':' && next?.kind === 'word' && !(prev?.kind === 'punct' && prev.text === ':');
  }

  private named(name: string): unknown {
    const parameters = this.options.parameters as Readonly<Record<string, unknown>>;
    if (!Object.hasOwn(parameters, name)) {
      const known = Object.keys(parameters);
      throw new TemplateError(`${this.where}: the SQL uses :${name}, which parameters does not have (it has ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'nothing'}); add it to parameters`, {
        where: this.where,
      });
    }
    return parameters[name];
  }

  private countError(wanted: number, given: number, placeholder = '?'): TemplateError {
    return new TemplateError(
      `${this.where}: the SQL uses placeholder ${placeholder === '?' ? `number ${wanted} (?)` : placeholder}, but ${given} parameter(s) were given; pass one value per placeholder in parameters`,
      { where: this.where },
    );
  }

  /** A hole outside quotes: glued to a name it must be a name fragment; alone, a name or a number. */
  private hole(i: number): string {
    const glued = this.isNamePart(this.tokens[i - 1]) || this.isNamePart(this.tokens[i + 1]);
    if (!glued) return this.inline(this.tokens[i]!.text, IDENTIFIER_OR_NUMBER, 'outside quotes', "quote it ('{{ ... }}') so it is bound as a value, or pass it in parameters");
    const marker = this.tokens[i]!.text;
    const hole = this.holes[Number(marker.slice(1, -1))]!;
    if (IDENTIFIER_FRAGMENT.test(hole.value)) return hole.value;
    let [a, b] = [i, i];
    while (this.isNamePart(this.tokens[a - 1])) a--;
    while (this.isNamePart(this.tokens[b + 1])) b++;
    const name = this.tokens.slice(a, b + 1).map((t) => t.text).join('').replace(/\uE000(\d+)\uE001/g, (_, n: string) => this.holes[Number(n)]!.source);
    const mask = this.options.mask ?? ((v: string) => v);
    throw new TemplateError(
      `${this.where}: ${hole.source} is part of the name ${name} and renders to ${JSON.stringify(mask(hole.value))}, which is not a name fragment (only letters, digits and _ may be written into a name); ` +
        'give it a value made of those (for params, validate it), or, if it is data, put it in quotes (\'{{ ... }}\') so it is bound as a value',
      { where: this.where, expression: hole.source },
    );
  }

  private isNamePart(t: Token | undefined): boolean {
    return t !== undefined && (NAME_PARTS.has(t.kind) || (t.kind === 'punct' && t.text === '.'));
  }

  private inComment(t: Token): TemplateError {
    return commentProblem(this.holes[Number(/\uE000(\d+)\uE001/.exec(t.text)![1])]!.source, this.where);
  }

  /** `text` with each hole marker replaced by the hole's rendered value, each checked by `safe`. */
  private replaceHoles(text: string, safe: (value: string) => boolean, place: string, advice: string): string {
    return text.replace(/\uE000(\d+)\uE001/g, (_, n: string) => this.inline(`${HOLE_OPEN}${n}${HOLE_CLOSE}`, safe, place, advice));
  }

  /** Render hole marker `marker`; when `place` is given, the value must pass `safe` to be written into the SQL text. */
  private inline(marker: string, safe: RegExp | ((value: string) => boolean), place: string, advice: string): string {
    const { source, value } = this.holes[Number(marker.slice(1, -1))]!;
    const ok = typeof safe === 'function' ? safe(value) : safe.test(value);
    if (place && !ok) {
      throw new TemplateError(
        `${this.where}: ${source} is ${place}, where SQL cannot take a bound value, and it renders to ${JSON.stringify((this.options.mask ?? String)(value))}, which could change the statement; ${advice}`,
        { where: this.where, expression: source },
      );
    }
    return value;
  }

  private lastSignificant(): Piece | undefined {
    for (let i = this.out.length - 1; i >= 0; i--) if (this.out[i]!.word !== '') return this.out[i];
    return undefined;
  }
}

function preview(text: string): string {
  return JSON.stringify(text.length > 30 ? `${text.slice(0, 30)}...` : text).replace(/\uE000\d+\uE001/g, '{{ ... }}');
}
