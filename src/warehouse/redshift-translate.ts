import { isTrivia, isWord, leadingKeyword, type Token, lexSql, splitStatements, type Statement } from '../sql/sql-lexer.ts';
import { refuseUnlessRedshift, RedshiftRefusal } from './redshift-refusals.ts';

/**
 * Translate one Redshift statement (not COPY or UNLOAD) into Postgres 15, after refusing what
 * Redshift refuses (see {@link refuseUnlessRedshift}). Works on tokens, so text inside literals,
 * quoted names and comments is never touched. What it does:
 *
 * - Wall clock: `GETDATE()` → `dagbox.getdate()` (to the second), `SYSDATE` → `dagbox.sysdate()`,
 *   `CURRENT_TIMESTAMP` → `dagbox.now()`, `CURRENT_DATE` → `dagbox."current_date"()`; `now()` is
 *   dagbox's through the search_path. All of them follow the session's `dagbox.clock_shift`.
 * - Calls Postgres spells differently: `NVL` → COALESCE, `NVL2` and `DECODE` → CASE, `LISTAGG(...)
 *   WITHIN GROUP (ORDER BY ...)` → string_agg, `CONVERT(type, x)` → CAST, date parts written as
 *   words or abbreviations in DATEADD/DATEDIFF/DATE_PART/DATE_TRUNC/EXTRACT (`dateadd(d, 1, x)`),
 *   and `APPROXIMATE COUNT(DISTINCT ...)`. Functions with a Redshift meaning live in the dagbox
 *   schema (see redshift-dialect.ts).
 * - Syntax: `SELECT TOP n` → LIMIT n, `QUALIFY` → a filtering subquery, `MINUS` → EXCEPT, a
 *   subquery in FROM without alias gets one, `MERGE ... REMOVE DUPLICATES` and `ALTER TABLE ...
 *   APPEND FROM` become a DELETE and an INSERT in one statement, Redshift-only SET parameters are
 *   kept as `dagbox.*` settings, VACUUM's Redshift options and ANALYZE COMPRESSION do nothing.
 * - Names: `"UserId"` is `"userid"` (Redshift folds quoted names to lower case by default), and
 *   `#stage` is the temporary table `"#stage"`.
 * - CREATE TABLE: Redshift's types (VARCHAR(MAX), TEXT as VARCHAR(256), VARCHAR without length as
 *   VARCHAR(256), NUMERIC as NUMERIC(18,0), SUPER as jsonb), VARCHAR/CHAR lengths counted in
 *   bytes (a CHECK on octet_length), `IDENTITY(seed, step)`, FOREIGN KEY / REFERENCES dropped
 *   (informational on Redshift), and the physical-design clauses dropped: DISTSTYLE, DISTKEY,
 *   SORTKEY, ENCODE, BACKUP; `WITH NO SCHEMA BINDING` on views.
 *
 * ```ts
 * translateTokens(lexSql('SELECT TOP 3 nvl(a, 0) FROM t', 'postgres')); // 'SELECT COALESCE(a, 0) FROM t LIMIT 3'
 * ```
 */
export function translateTokens(tokens: readonly Token[]): string {
  refuseUnlessRedshift(tokens);
  return new Translation(tokens).statement();
}

/** {@link translateTokens} for text holding any number of statements: each is rewritten on its own. */
export function translateText(tokens: readonly Token[]): string {
  let out = '';
  let from = 0;
  for (let i = 0; i <= tokens.length; i++) {
    if (i < tokens.length && tokens[i]!.kind !== 'semicolon') continue;
    const part = tokens.slice(from, i);
    out += (part.some((t) => !isTrivia(t)) ? translateTokens(part) : part.map((t) => t.text).join('')) + (i < tokens.length ? tokens[i]!.text : '');
    from = i + 1;
  }
  return out;
}

/** A text's statements, translated: lexed and translated once per distinct text (see {@link translateCached}). */
export interface TranslatedText {
  tokens: Token[];
  statements: Statement[];
  /** The whole text in Postgres, or the RedshiftRefusal to throw. */
  text: string | RedshiftRefusal;
}

const CACHE_LIMIT = 2000;
const cache = new Map<string, TranslatedText>();

/**
 * Lex and translate `text` once, and reuse the result for the same text: a pipeline sends the same
 * few statements many times (each COPY, each interval), and nothing is done per row.
 */
export function translateCached(text: string): TranslatedText {
  const hit = cache.get(text);
  if (hit) return hit;
  const tokens = lexSql(text, 'postgres');
  let translated: string | RedshiftRefusal;
  try {
    translated = translateText(tokens);
  } catch (error) {
    if (!(error instanceof RedshiftRefusal)) throw error;
    translated = error;
  }
  const entry = { tokens, statements: splitStatements(tokens), text: translated };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, entry);
  return entry;
}

/** `"#name"`: the Postgres spelling of Redshift temporary table `#name`. */
export function tempName(token: Token): string {
  return `"${token.text.toLowerCase().replaceAll('"', '""')}"`;
}

const PHYSICAL_CLAUSES = new Set(['DISTSTYLE', 'DISTKEY', 'SORTKEY', 'COMPOUND', 'INTERLEAVED', 'ENCODE', 'BACKUP']);

/** Redshift's date parts and abbreviations, as Postgres names them (m is minute, as on Redshift). */
const DATE_PARTS: Record<string, string> = {};
for (const [name, aliases] of Object.entries({
  millennium: 'millennium millennia mil mils',
  century: 'century centuries c cent cents',
  decade: 'decade decades dec decs',
  year: 'year years y yr yrs',
  quarter: 'quarter quarters qtr qtrs',
  month: 'month months mon mons',
  week: 'week weeks w',
  day: 'day days d',
  dow: 'dayofweek dow dw weekday',
  doy: 'dayofyear doy dy yearday',
  hour: 'hour hours h hr hrs',
  minute: 'minute minutes m min mins',
  second: 'second seconds s sec secs',
  milliseconds: 'millisecond milliseconds ms msec msecs msecond mseconds millisec millisecs millisecon',
  microseconds: 'microsecond microseconds microsec microsecs usecond useconds us usec usecs',
  epoch: 'epoch',
  timezone: 'timezone',
  timezone_hour: 'timezone_hour',
  timezone_minute: 'timezone_minute',
})) {
  for (const alias of aliases.split(' ')) DATE_PARTS[alias] = name;
}

/** Redshift configuration parameters Postgres does not know; kept as `dagbox.<name>` settings. */
const REDSHIFT_SETTINGS = new Set([
  'QUERY_GROUP', 'ENABLE_RESULT_CACHE_FOR_SESSION', 'WLM_QUERY_SLOT_COUNT', 'ANALYZE_THRESHOLD_PERCENT', 'JSON_SERIALIZATION_ENABLE',
  'JSON_SERIALIZATION_PARSE_NESTED_STRINGS', 'DESCRIBE_FIELD_NAME_IN_UPPERCASE', 'ENABLE_CASE_SENSITIVE_IDENTIFIER', 'MAX_CONCURRENCY_SCALING_CLUSTERS',
  'MAX_CURSOR_RESULT_SET_SIZE', 'SPECTRUM_QUERY_MAXERROR', 'DATASHARE_BREAK_GLASS_SESSION_VAR', 'ENABLE_NUMERIC_ROUNDING', 'MV_ENABLE_AQMV_FOR_SESSION',
]);

/** Words after which `(subquery)` sits in a FROM list. */
const FROM_LIST_ENDS = new Set(['WHERE', 'GROUP', 'HAVING', 'ORDER', 'LIMIT', 'OFFSET', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS', 'QUALIFY', 'WINDOW', 'ON', 'USING', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'NATURAL', 'SELECT', 'SET', 'RETURNING', 'WHEN', 'THEN', 'ELSE', 'END', 'AND', 'OR']);

type Emitted = { text: string; end: number } | null;

/** One statement's translation: tokens, their matching parentheses, and the rules. */
class Translation {
  private readonly tokens: readonly Token[];
  /** For each `(`, the index of its `)` (or the last token when unclosed). */
  private readonly close: number[];
  private readonly lead: string;
  private readonly creating: boolean;
  /** Index of the `(` opening CREATE TABLE's column list, or -1. */
  private readonly columnList: number;
  private aliases = 0;

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
    this.close = matchParentheses(tokens);
    this.lead = leadingKeyword(tokens);
    const tableAt = this.lead === 'CREATE' ? firstTableKeyword(tokens) : -1;
    this.creating = tableAt >= 0;
    this.columnList = tableAt >= 0 ? this.columnListAfter(tableAt) : -1;
  }

  statement(): string {
    const whole = this.wholeStatement();
    if (whole !== null) return whole;
    return this.scope(0, this.tokens.length);
  }

  /** Statements rewritten as a whole: MERGE ... REMOVE DUPLICATES, ALTER TABLE ... APPEND, SET/VACUUM/ANALYZE COMPRESSION. */
  private wholeStatement(): string | null {
    const sig = this.significant(0, this.tokens.length);
    const w = (k: number) => (this.tokens[sig[k]!]?.kind === 'word' ? this.tokens[sig[k]!]!.text.toUpperCase() : '');
    const n = sig.length;
    if (this.lead === 'MERGE' && w(n - 2) === 'REMOVE' && w(n - 1) === 'DUPLICATES') {
      const into = sig.findIndex((_, k) => w(k) === 'INTO');
      const using = this.topLevel(sig, 'USING');
      const on = this.topLevel(sig, 'ON');
      if (into < 0 || using < 0 || on < using) return null;
      const target = this.scope(sig[into]! + 1, sig[using]!).trim();
      const source = this.scope(sig[using]! + 1, sig[on]!).trim();
      const condition = this.scope(sig[on]! + 1, sig[n - 2]!).trim();
      const targetTable = this.scope(sig[into]! + 1, sig[into + 1]! + 1).trim();
      return `WITH dgbx_merge AS (DELETE FROM ${target} USING ${source} WHERE ${condition}) INSERT INTO ${targetTable} SELECT * FROM ${source}`;
    }
    if (this.lead === 'ALTER' && w(1) === 'TABLE') {
      const append = sig.findIndex((_, k) => w(k) === 'APPEND' && w(k + 1) === 'FROM');
      if (append > 0) {
        const target = this.scope(sig[2]!, sig[append]!).trim();
        const end = sig.findIndex((_, k) => k > append + 1 && ['IGNOREEXTRA', 'FILLTARGET'].includes(w(k)));
        const source = this.scope(sig[append + 2]!, end < 0 ? this.tokens.length : sig[end]!).trim();
        return `WITH dgbx_moved AS (DELETE FROM ${source} RETURNING *) INSERT INTO ${target} SELECT * FROM dgbx_moved`;
      }
    }
    if ((this.lead === 'SET' || this.lead === 'RESET') && REDSHIFT_SETTINGS.has(w(1)) || (this.lead === 'SET' && w(1) === 'SESSION' && REDSHIFT_SETTINGS.has(w(2)))) {
      const at = w(1) === 'SESSION' ? sig[2]! : sig[1]!;
      const name = this.tokens[at]!.text.toLowerCase();
      return this.tokens.slice(0, at).map((t) => t.text).join('') + `dagbox.${name}` + this.tokens.slice(at + 1).map((t) => t.text).join('');
    }
    if (this.lead === 'VACUUM') {
      const table = sig.slice(1).find((k) => {
        const t = this.tokens[k]!;
        return (t.kind === 'word' && !['FULL', 'SORT', 'DELETE', 'ONLY', 'REINDEX', 'RECLUSTER', 'BOOST', 'TO', 'PERCENT'].includes(t.text.toUpperCase())) || t.kind === 'quoted';
      });
      if (table === undefined) return 'VACUUM';
      let end = table + 1;
      while (end < this.tokens.length && (isPunctToken(this.tokens[end], '.') || ['word', 'quoted'].includes(this.tokens[end]!.kind))) end++;
      return `VACUUM ${this.scope(table, end).trim()}`;
    }
    if (this.lead === 'ANALYZE' && w(1) === 'COMPRESSION') {
      return 'SELECT NULL::text AS "table", NULL::text AS "column", NULL::text AS encoding, NULL::numeric AS est_reduction_pct WHERE false';
    }
    return null;
  }

  /** Index (into `sig`) of the first top-level `word`, or -1. */
  private topLevel(sig: number[], word: string): number {
    let depth = 0;
    for (let k = 0; k < sig.length; k++) {
      const t = this.tokens[sig[k]!]!;
      if (isPunctToken(t, '(')) depth++;
      else if (isPunctToken(t, ')')) depth--;
      else if (depth === 0 && isWord(t, word)) return k;
    }
    return -1;
  }

  /**
   * Tokens [from, to) at one query level (a statement, or inside parentheses), with QUALIFY and
   * TOP n, which reshape the level, applied.
   */
  private scope(from: number, to: number): string {
    const qualify = this.findTopLevel(from, to, 'QUALIFY');
    if (qualify < 0) {
      const limit = { value: '' };
      const text = this.emit(from, to, limit);
      return limit.value ? `${text.replace(/\s+$/, '')} LIMIT ${limit.value}${text.match(/\s+$/)?.[0] ?? ''}` : text;
    }
    return this.qualify(from, to, qualify);
  }

  /** `SELECT ... QUALIFY cond [ORDER BY ...]` as a subquery filtered by cond. */
  private qualify(from: number, to: number, at: number): string {
    const select = this.findTopLevel(from, at, 'SELECT');
    if (select < 0) throw new RedshiftRefusal('QUALIFY must follow a SELECT ... FROM ... query.');
    let tail = to;
    for (const word of ['ORDER', 'LIMIT', 'OFFSET']) {
      const k = this.findTopLevel(at, to, word);
      if (k >= 0 && k < tail) tail = k;
    }
    const prefix = this.emit(from, select, { value: '' });
    const condition = this.emit(at + 1, tail, { value: '' }).trim();
    const rest = tail < to ? ` ${this.scope(tail, to).trim()}` : '';
    const usesWindow = this.tokens.slice(at + 1, tail).some((t) => isWord(t, 'OVER'));
    if (!usesWindow) {
      return `${prefix}SELECT * FROM (${this.scope(select, at).trim()}) AS dgbx_qualify WHERE ${condition}${rest}`;
    }
    const fromAt = this.findTopLevel(select, at, 'FROM');
    const names = fromAt < 0 ? null : this.outputNames(select, fromAt);
    if (!names) {
      throw new RedshiftRefusal(
        "dagbox's Redshift stand-in does not emulate QUALIFY with a window function when the select list has * or unnamed expressions: name each column (expr AS name), or filter on a window column selected by name",
      );
    }
    const inner = `${this.emit(select, fromAt, { value: '' }).replace(/\s+$/, '')}, (${condition}) AS dgbx_qualify_keep ${this.emit(fromAt, at, { value: '' }).trim()}`;
    return `${prefix}SELECT ${names.join(', ')} FROM (${inner}) AS dgbx_qualify WHERE dgbx_qualify_keep${rest}`;
  }

  /** The output column names of a select list, or null when one cannot be named (`*`, an unnamed expression). */
  private outputNames(select: number, fromAt: number): string[] | null {
    const items = this.splitTopLevel(this.nextSignificant(select), fromAt);
    const names: string[] = [];
    for (const [a, b] of items) {
      const sig = this.significant(a, b).filter((k) => !isWord(this.tokens[k], 'DISTINCT') || k !== this.nextSignificant(select));
      const last = this.tokens[sig[sig.length - 1]!];
      if (!last || (last.kind !== 'word' && last.kind !== 'quoted')) return null;
      const before = this.tokens[sig[sig.length - 2]!];
      const single = sig.length === 1 || (sig.length >= 3 && sig.every((k, n) => (n % 2 === 1 ? isPunctToken(this.tokens[k], '.') : ['word', 'quoted'].includes(this.tokens[k]!.kind))));
      if (!single && !(before && (isWord(before, 'AS') || ['word', 'quoted'].includes(before.kind) || isPunctToken(before, ')')))) return null;
      names.push(last.kind === 'quoted' ? last.text.toLowerCase() : last.text);
    }
    return names;
  }

  /** The tokens [from, to), translated, with nested parentheses as scopes of their own. */
  private emit(from: number, to: number, limit: { value: string }): string {
    let out = '';
    for (let i = from; i < to; i++) {
      const t = this.tokens[i]!;
      if (t.kind === 'temp') {
        out += tempName(t);
        continue;
      }
      if (t.kind === 'quoted') {
        out += t.text.toLowerCase();
        continue;
      }
      if (isPunctToken(t, '(')) {
        const close = this.close[i]!;
        if (i === this.columnList) out += `(${this.columnDefinitions(i + 1, close)})`;
        else out += `(${this.scope(i + 1, close)}${close < this.tokens.length && isPunctToken(this.tokens[close], ')') ? ')' : ''}`;
        if (this.isDerivedTable(i) && !this.hasAlias(close)) out += ` AS dgbx_subquery_${++this.aliases}`;
        i = close;
        continue;
      }
      if (t.kind !== 'word') {
        out += t.text;
        continue;
      }
      const rule = this.word(i, limit);
      if (rule) {
        out += rule.text;
        i = rule.end;
        if (rule.text === '') out = out.replace(/\s+$/, '');
      } else out += t.text;
    }
    return out;
  }

  /** The rule for the word at i, or null to keep it: the replacement and the last token it covers. */
  private word(i: number, limit: { value: string }): Emitted {
    const t = this.tokens[i]!;
    const word = t.text.toUpperCase();
    const next = this.nextSignificant(i);
    const prev = this.previousSignificant(i);
    const afterDot = isPunctToken(this.tokens[prev], '.');
    const call = isPunctToken(this.tokens[next], '(');
    if (afterDot) return null;
    if (call) {
      const rewritten = this.callRule(word, i, next);
      if (rewritten) return rewritten;
    }
    switch (word) {
      case 'SYSDATE':
        return call ? null : { text: 'dagbox.sysdate()', end: i };
      case 'CURRENT_TIMESTAMP':
        return call ? null : { text: 'dagbox.now()', end: i };
      case 'CURRENT_DATE':
        return { text: 'dagbox."current_date"()', end: i };
      case 'SELECT':
        return this.top(i, limit);
      case 'MINUS': {
        const p = this.tokens[prev];
        const n = this.tokens[next];
        if (p && n && (isPunctToken(p, ')') || ['word', 'quoted', 'number'].includes(p.kind)) && (isWord(n, 'SELECT') || isPunctToken(n, '('))) return { text: 'EXCEPT', end: i };
        return null;
      }
      case 'APPROXIMATE':
        return isWord(this.tokens[next], 'COUNT') || isWord(this.tokens[next], 'PERCENTILE_DISC') ? { text: '', end: i } : null;
      case 'TABLE':
        if (this.creating && firstTableKeyword(this.tokens) === i && this.tokens.slice(i + 1).some((x) => x.kind === 'temp') && !hasTempKeyword(this.tokens, i)) return { text: 'TEMP TABLE', end: i };
        return null;
      case 'INTO':
        return (this.lead === 'SELECT' || this.lead === 'WITH') && this.tokens[next]?.kind === 'temp' ? { text: 'INTO TEMP', end: i } : null;
      case 'IDENTITY':
        return this.creating ? this.identity(i, next) : null;
      case 'REFERENCES':
        return this.creating ? { text: '', end: this.skipReferences(i) } : null;
      case 'WITH':
        if (this.lead === 'CREATE' && isWord(this.tokens[next], 'NO')) {
          const words = this.significant(next, this.tokens.length).slice(0, 3).map((k) => this.tokens[k]!.text.toUpperCase());
          if (words.join(' ') === 'NO SCHEMA BINDING') return { text: '', end: this.significant(next, this.tokens.length)[2]! };
        }
        return null;
      default:
        if (this.creating && PHYSICAL_CLAUSES.has(word) && this.isPhysicalClause(i, word, prev)) {
          return { text: '', end: this.skipPhysicalClause(i, word) };
        }
        return null;
    }
  }

  /** Rewrites of calls `NAME(...)`: the replacement and the last token it covers, or null. */
  private callRule(word: string, i: number, open: number): Emitted {
    const close = this.close[open]!;
    const args = () => this.splitTopLevel(open + 1, close);
    const arg = (range: [number, number]) => this.scope(range[0], range[1]).trim();
    switch (word) {
      case 'GETDATE':
        return this.significant(open + 1, close).length === 0 ? { text: 'dagbox.getdate()', end: close } : null;
      case 'NVL':
        return { text: `COALESCE(${this.scope(open + 1, close)})`, end: close };
      case 'NVL2': {
        const a = args();
        if (a.length !== 3) throw new RedshiftRefusal(`NVL2 takes 3 arguments (expression, value if not null, value if null), found ${a.length}.`);
        return { text: `(CASE WHEN (${arg(a[0]!)}) IS NOT NULL THEN ${arg(a[1]!)} ELSE ${arg(a[2]!)} END)`, end: close };
      }
      case 'DECODE': {
        const a = args();
        if (a.length < 3) return null;
        const subject = arg(a[0]!);
        let text = '(CASE';
        let k = 1;
        for (; k + 1 < a.length; k += 2) text += ` WHEN (${subject}) IS NOT DISTINCT FROM (${arg(a[k]!)}) THEN ${arg(a[k + 1]!)}`;
        if (k < a.length) text += ` ELSE ${arg(a[k]!)}`;
        return { text: `${text} END)`, end: close };
      }
      case 'DATEADD':
      case 'DATEDIFF': {
        const a = args();
        if (a.length !== 3) throw new RedshiftRefusal(`${word} takes 3 arguments (datepart, ${word === 'DATEADD' ? 'interval, date' : 'date, date'}), found ${a.length}.`);
        const timeArg = (range: [number, number]) => {
          const text = arg(range);
          return this.isStringLiteral(range) ? `${text}::timestamp` : text;
        };
        const middle = word === 'DATEADD' ? arg(a[1]!) : timeArg(a[1]!);
        return { text: `dagbox.${word.toLowerCase()}(${this.datePart(a[0]!, word)}, ${middle}, ${timeArg(a[2]!)})`, end: close };
      }
      case 'DATE_PART':
      case 'DATEPART':
      case 'PGDATE_PART':
      case 'DATE_TRUNC': {
        const a = args();
        if (a.length !== 2) return null;
        const value = this.isStringLiteral(a[1]!) ? `${arg(a[1]!)}::timestamp` : arg(a[1]!);
        const name = word === 'DATE_TRUNC' ? 'date_trunc' : 'date_part';
        return { text: `${name}(${this.datePart(a[0]!, word)}, ${value})`, end: close };
      }
      case 'EXTRACT': {
        const first = this.nextSignificant(open);
        const part = this.tokens[first];
        if (part?.kind === 'word' && DATE_PARTS[part.text.toLowerCase()] && DATE_PARTS[part.text.toLowerCase()] !== part.text.toLowerCase()) {
          return { text: `EXTRACT(${DATE_PARTS[part.text.toLowerCase()]}${this.scope(first + 1, close)})`, end: close };
        }
        return null;
      }
      case 'LISTAGG':
        return this.listagg(open, close);
      case 'CONVERT': {
        const a = args();
        if (a.length !== 2) return null;
        return { text: `CAST(${arg(a[1]!)} AS ${this.typeName(a[0]!)})`, end: close };
      }
      default:
        return null;
    }
  }

  /** `LISTAGG([DISTINCT] x [, delimiter]) [WITHIN GROUP (ORDER BY ...)]` as string_agg. */
  private listagg(open: number, close: number): Emitted {
    const a = this.splitTopLevel(open + 1, close);
    if (a.length < 1 || a.length > 2) throw new RedshiftRefusal(`LISTAGG takes an expression and an optional delimiter, found ${a.length} arguments.`);
    let first = this.scope(a[0]![0], a[0]![1]).trim();
    let distinct = '';
    if (/^distinct\b/i.test(first)) {
      distinct = 'DISTINCT ';
      first = first.slice(8).trim();
    }
    const delimiter = a[1] ? this.scope(a[1][0], a[1][1]).trim() : "''";
    let end = close;
    let order = '';
    const within = this.nextSignificant(close);
    if (isWord(this.tokens[within], 'WITHIN') && isWord(this.tokens[this.nextSignificant(within)], 'GROUP')) {
      const groupOpen = this.nextSignificant(this.nextSignificant(within));
      if (isPunctToken(this.tokens[groupOpen], '(')) {
        end = this.close[groupOpen]!;
        order = ` ${this.scope(groupOpen + 1, end).trim()}`;
      }
    }
    const value = `(${first})::text`;
    // With DISTINCT, Postgres wants the ORDER BY expression to be the aggregated one, as written.
    if (distinct) order = order.replace(new RegExp(`^( ORDER BY\\s+)${escapeRegExp(first)}(?=\\s|$)`, 'i'), `$1${value}`);
    return { text: `string_agg(${distinct}${value}, ${delimiter}${order})`, end };
  }

  /** A date part argument as a Postgres part name in quotes; an unknown part is an error naming it. */
  private datePart(range: [number, number], fn: string): string {
    const sig = this.significant(range[0], range[1]);
    const t = this.tokens[sig[0]!];
    let raw: string | null = null;
    if (sig.length === 1 && t?.kind === 'word') raw = t.text;
    if (sig.length === 1 && t?.kind === 'string' && /^'[^']*'$/.test(t.text)) raw = t.text.slice(1, -1);
    if (raw === null) return this.scope(range[0], range[1]).trim();
    const part = DATE_PARTS[raw.trim().toLowerCase()];
    if (!part) throw new RedshiftRefusal(`${fn}: "${raw}" is not a Redshift date part; use year, quarter, month, week, day, hour, minute, second, millisecond or microsecond (or y, qtr, mon, w, d, h, m, s, ms, us).`);
    return `'${part}'`;
  }

  /** A type written as a CONVERT argument, with Redshift's spellings. */
  private typeName(range: [number, number]): string {
    const text = this.scope(range[0], range[1]).trim();
    return /^varchar\s*\(\s*max\s*\)$/i.test(text) ? 'VARCHAR(65535)' : text;
  }

  /** A lone string literal or `$n` placeholder: of unknown type to Postgres, so it needs a cast to pick an overload. */
  private isStringLiteral(range: [number, number]): boolean {
    const sig = this.significant(range[0], range[1]);
    const kind = sig.length === 1 ? this.tokens[sig[0]!]!.kind : '';
    return kind === 'string' || kind === 'param';
  }

  /** `SELECT [DISTINCT|ALL] TOP n`: the TOP is dropped and n becomes the level's LIMIT. */
  private top(i: number, limit: { value: string }): Emitted {
    let k = this.nextSignificant(i);
    let text = this.tokens[i]!.text;
    if (isWord(this.tokens[k], 'DISTINCT') || isWord(this.tokens[k], 'ALL')) {
      text += ` ${this.tokens[k]!.text}`;
      k = this.nextSignificant(k);
    }
    if (!isWord(this.tokens[k], 'TOP')) return null;
    const n = this.nextSignificant(k);
    if (this.tokens[n]?.kind !== 'number') return null;
    limit.value = this.tokens[n]!.text;
    return { text, end: n };
  }

  /** `IDENTITY(seed, step)`: Postgres's identity column, ALWAYS unless GENERATED BY DEFAULT was written. */
  private identity(i: number, open: number): Emitted {
    if (!isPunctToken(this.tokens[open], '(')) return null;
    const close = this.close[open]!;
    const a = this.splitTopLevel(open + 1, close).map((r) => this.scope(r[0], r[1]).trim());
    const options = a.length === 2 ? ` (START WITH ${a[0]} INCREMENT BY ${a[1]})` : '';
    const byDefault = isWord(this.tokens[this.previousSignificant(i)], 'AS');
    return { text: byDefault ? `IDENTITY${options}` : `GENERATED ALWAYS AS IDENTITY${options}`, end: close };
  }

  /** The last token of `REFERENCES table [(cols)] [MATCH x] [ON DELETE|UPDATE action] [DEFERRABLE ...]`. */
  private skipReferences(i: number): number {
    let k = this.nextSignificant(i);
    while (k < this.tokens.length && (['word', 'quoted'].includes(this.tokens[k]!.kind) || isPunctToken(this.tokens[k], '.'))) {
      if (isWord(this.tokens[k], 'MATCH') || isWord(this.tokens[k], 'ON') || isWord(this.tokens[k], 'NOT') || isWord(this.tokens[k], 'DEFERRABLE')) break;
      const after = this.nextSignificant(k);
      if (!isPunctToken(this.tokens[after], '.') && !isPunctToken(this.tokens[k], '.')) {
        k = after;
        break;
      }
      k = after;
    }
    if (isPunctToken(this.tokens[k], '(')) k = this.nextSignificant(this.close[k]!);
    const ACTIONS = ['MATCH', 'FULL', 'PARTIAL', 'SIMPLE', 'ON', 'DELETE', 'UPDATE', 'CASCADE', 'RESTRICT', 'NO', 'ACTION', 'SET', 'NULL', 'DEFAULT', 'DEFERRABLE', 'NOT', 'INITIALLY', 'DEFERRED', 'IMMEDIATE'];
    while (k < this.tokens.length && this.tokens[k]!.kind === 'word' && ACTIONS.includes(this.tokens[k]!.text.toUpperCase())) {
      // NOT NULL after a REFERENCES clause is the column's own constraint.
      if (isWord(this.tokens[k], 'NOT') && isWord(this.tokens[this.nextSignificant(k)], 'NULL')) break;
      if (isWord(this.tokens[k], 'NULL') && !isWord(this.tokens[this.previousSignificant(k)], 'SET')) break;
      if (isWord(this.tokens[k], 'DEFAULT') && !isWord(this.tokens[this.previousSignificant(k)], 'SET')) break;
      k = this.nextSignificant(k);
    }
    return this.previousSignificant(k);
  }

  /** CREATE TABLE's column list: Redshift types and byte lengths, FOREIGN KEY items dropped. */
  private columnDefinitions(from: number, to: number): string {
    const items: string[] = [];
    for (const [a, b] of this.splitTopLevel(from, to)) {
      const sig = this.significant(a, b);
      const first = this.tokens[sig[0]!];
      if (!first) continue;
      const w = first.kind === 'word' ? first.text.toUpperCase() : '';
      if (w === 'FOREIGN' || (w === 'CONSTRAINT' && isWord(this.tokens[sig[2]!], 'FOREIGN'))) continue;
      if (['PRIMARY', 'UNIQUE', 'CONSTRAINT', 'LIKE', 'CHECK'].includes(w) || sig.length < 2) {
        items.push(this.scope(a, b));
        continue;
      }
      items.push(this.columnDefinition(a, b, sig));
    }
    return items.join(',');
  }

  /** One column: name, type as Redshift means it, then its constraints and options. */
  private columnDefinition(a: number, b: number, sig: number[]): string {
    const nameToken = this.tokens[sig[0]!]!;
    const name = nameToken.kind === 'quoted' ? nameToken.text.toLowerCase() : nameToken.text;
    const typeAt = sig[1]!;
    const typeWord = this.tokens[typeAt]!.kind === 'word' ? this.tokens[typeAt]!.text.toUpperCase() : '';
    let typeEnd = typeAt; // last token of the type
    let words = [typeWord];
    const second = this.tokens[sig[2]!];
    if ((typeWord === 'CHARACTER' || typeWord === 'NATIONAL') && isWord(second, 'VARYING')) {
      typeEnd = sig[2]!;
      words = [typeWord, 'VARYING'];
    } else if (typeWord === 'DOUBLE' && isWord(second, 'PRECISION')) typeEnd = sig[2]!;
    const open = this.nextSignificant(typeEnd);
    const hasArgs = isPunctToken(this.tokens[open], '(');
    const argsText = hasArgs ? this.tokens.slice(open + 1, this.close[open]).map((t) => t.text).join('').trim() : '';
    const afterType = hasArgs ? this.close[open]! + 1 : typeEnd + 1;
    const head = this.tokens.slice(a, sig[0]).map((t) => t.text).join('') + name + ' ';
    const rest = this.scope(afterType, b);
    const varying = ['VARCHAR', 'NVARCHAR', 'TEXT', 'BPCHAR'].includes(typeWord) || words[1] === 'VARYING';
    const fixed = ['CHAR', 'CHARACTER', 'NCHAR'].includes(typeWord) && words[1] !== 'VARYING';
    if (varying || fixed) {
      let length: number;
      if (typeWord === 'TEXT') length = 256;
      else if (!hasArgs) length = varying ? 256 : 1;
      else if (/^max$/i.test(argsText)) length = varying ? 65535 : 4096;
      else length = Number(argsText);
      if (!Number.isInteger(length) || length < 1) return `${head}${this.scope(typeAt, afterType).trim()}${rest}`;
      const type = `${varying ? 'VARCHAR' : 'CHAR'}(${length})`;
      const constraint = truncateIdentifier(`${name.replace(/^"|"$/g, '')}_max_${length}_bytes`);
      return `${head}${type} CONSTRAINT "${constraint}" CHECK (octet_length(${name}::text) <= ${length})${rest}`;
    }
    if ((typeWord === 'NUMERIC' || typeWord === 'DECIMAL') && !hasArgs) return `${head}NUMERIC(18,0)${rest}`;
    if (typeWord === 'SUPER') return `${head}JSONB${rest}`;
    return `${head}${this.scope(typeAt, afterType).trim()}${rest}`;
  }

  /** `(SELECT ...)` right after FROM or JOIN, or after a comma in a FROM list. */
  private isDerivedTable(open: number): boolean {
    const inner = this.tokens[this.nextSignificant(open)];
    if (!isWord(inner, 'SELECT') && !isWord(inner, 'WITH')) return false;
    const before = this.previousSignificant(open);
    const b = this.tokens[before];
    if (isWord(b, 'FROM') || isWord(b, 'JOIN')) return true;
    if (!isPunctToken(b, ',')) return false;
    // A comma: look back at this level for FROM before any clause that ends the FROM list.
    let depth = 0;
    for (let k = before - 1; k >= 0; k--) {
      const t = this.tokens[k]!;
      if (isPunctToken(t, ')')) depth++;
      else if (isPunctToken(t, '(')) {
        if (depth === 0) return false;
        depth--;
      } else if (depth === 0 && t.kind === 'word') {
        const w = t.text.toUpperCase();
        if (w === 'FROM') return true;
        if (FROM_LIST_ENDS.has(w)) return false;
      }
    }
    return false;
  }

  /** An alias follows the subquery closed at `close`: `AS x`, or a plain name that is no keyword. */
  private hasAlias(close: number): boolean {
    const t = this.tokens[this.nextSignificant(close)];
    if (!t) return false;
    if (t.kind === 'quoted') return true;
    if (t.kind !== 'word') return false;
    return !FROM_LIST_ENDS.has(t.text.toUpperCase()) && !['LIMIT', 'FETCH', 'FOR', 'INTO'].includes(t.text.toUpperCase());
  }

  private isPhysicalClause(i: number, word: string, prev: number): boolean {
    const p = this.tokens[prev];
    if (isPunctToken(p, '(') || isPunctToken(p, ',')) return false;
    if (word === 'COMPOUND' || word === 'INTERLEAVED') return isWord(this.tokens[this.nextSignificant(i)], 'SORTKEY');
    return true;
  }

  /** The last token of the physical-design clause starting at i. */
  private skipPhysicalClause(i: number, word: string): number {
    let at = i;
    if (word === 'COMPOUND' || word === 'INTERLEAVED') at = this.nextSignificant(at);
    const next = this.nextSignificant(at);
    if (word === 'DISTSTYLE' || word === 'ENCODE' || word === 'BACKUP') return this.tokens[next]?.kind === 'word' ? next : at;
    if (isPunctToken(this.tokens[next], '(')) return this.close[next]!;
    return at;
  }

  private columnListAfter(tableAt: number): number {
    for (let k = this.nextSignificant(tableAt); k < this.tokens.length; k = this.nextSignificant(k)) {
      const t = this.tokens[k]!;
      if (isPunctToken(t, '(')) return isWord(this.tokens[this.nextSignificant(k)], 'SELECT') ? -1 : k;
      if (isWord(t, 'AS')) return -1;
    }
    return -1;
  }

  /** Index of the first top-level `word` in [from, to), or -1. */
  private findTopLevel(from: number, to: number, word: string): number {
    for (let k = from; k < to; k++) {
      const t = this.tokens[k]!;
      if (isPunctToken(t, '(')) k = this.close[k]!;
      else if (isWord(t, word)) return k;
    }
    return -1;
  }

  /** [from, to) cut at top-level commas. */
  private splitTopLevel(from: number, to: number): [number, number][] {
    const parts: [number, number][] = [];
    let start = from;
    for (let k = from; k < to; k++) {
      const t = this.tokens[k]!;
      if (isPunctToken(t, '(')) k = this.close[k]!;
      else if (isPunctToken(t, ',')) {
        parts.push([start, k]);
        start = k + 1;
      }
    }
    if (this.significant(start, to).length > 0 || parts.length > 0) parts.push([start, to]);
    return parts;
  }

  private significant(from: number, to: number): number[] {
    const out: number[] = [];
    for (let k = from; k < to && k < this.tokens.length; k++) if (!isTrivia(this.tokens[k]!)) out.push(k);
    return out;
  }

  private nextSignificant(i: number): number {
    for (let j = i + 1; j < this.tokens.length; j++) if (!isTrivia(this.tokens[j]!)) return j;
    return this.tokens.length;
  }

  private previousSignificant(i: number): number {
    for (let j = i - 1; j >= 0; j--) if (!isTrivia(this.tokens[j]!)) return j;
    return -1;
  }
}

function matchParentheses(tokens: readonly Token[]): number[] {
  const close = new Array<number>(tokens.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (isPunctToken(tokens[i], '(')) stack.push(i);
    else if (isPunctToken(tokens[i], ')') && stack.length > 0) close[stack.pop()!] = i;
  }
  for (const open of stack) close[open] = tokens.length;
  return close;
}

/** Index of TABLE in `CREATE [LOCAL|GLOBAL] [TEMP|TEMPORARY] TABLE`, or -1. */
function firstTableKeyword(tokens: readonly Token[]): number {
  let seenCreate = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isTrivia(t)) continue;
    const w = t.kind === 'word' ? t.text.toUpperCase() : '';
    if (!seenCreate) {
      if (w !== 'CREATE') return -1;
      seenCreate = true;
    } else if (w === 'TABLE') return i;
    else if (!['LOCAL', 'GLOBAL', 'TEMP', 'TEMPORARY', 'UNLOGGED'].includes(w)) return -1;
  }
  return -1;
}

function hasTempKeyword(tokens: readonly Token[], tableIndex: number): boolean {
  return tokens.slice(0, tableIndex).some((t) => isWord(t, 'TEMP') || isWord(t, 'TEMPORARY'));
}

function isPunctToken(token: Token | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function truncateIdentifier(name: string): string {
  const bytes = Buffer.from(name.replaceAll('"', ''), 'utf8');
  return bytes.length <= 63 ? name.replaceAll('"', '') : bytes.subarray(0, 63).toString('utf8').replace(/\uFFFD+$/, '');
}

export { RedshiftRefusal };
