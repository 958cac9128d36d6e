import { isTrivia, isWord, leadingKeyword, type Token } from '../sql/sql-lexer.ts';

/**
 * Rewrite the Redshift-only parts of one ordinary statement (not COPY or UNLOAD) into Postgres:
 *
 * - `GETDATE()` becomes the statement's start time in the session time zone, to the second
 *   (`date_trunc('second', statement_timestamp())::timestamp`), as Redshift's GETDATE returns;
 *   `SYSDATE` becomes `LOCALTIMESTAMP` (the transaction's start); `NVL(` becomes `COALESCE(`.
 * - `#name` is a temporary table: `CREATE TABLE #stage ...` becomes `CREATE TEMP TABLE "#stage" ...`,
 *   `SELECT ... INTO #stage` becomes `SELECT ... INTO TEMP "#stage"`, and every other `#stage` is
 *   the quoted name `"#stage"` (lower-cased: Redshift names ignore case), which Postgres finds in
 *   the session's temporary schema.
 * - In CREATE TABLE, Redshift's physical-design clauses, which change no result, are dropped:
 *   `DISTSTYLE x`, `DISTKEY` / `DISTKEY (col)`, `[COMPOUND | INTERLEAVED] SORTKEY (cols)`,
 *   `ENCODE x`, `BACKUP YES|NO`.
 *
 * Text inside literals, quoted identifiers and comments is never touched.
 *
 * ```ts
 * translateTokens(lexSql('CREATE TABLE #s (LIKE raw_data.nps)', 'postgres'));
 * // 'CREATE TEMP TABLE "#s" (LIKE raw_data.nps)'
 * ```
 */
export function translateTokens(tokens: readonly Token[]): string {
  const lead = leadingKeyword(tokens);
  const creating = lead === 'CREATE' && createsTable(tokens);
  const selecting = lead === 'SELECT' || lead === 'WITH';
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'temp') {
      out += tempName(t);
      continue;
    }
    if (t.kind !== 'word') {
      out += t.text;
      continue;
    }
    const word = t.text.toUpperCase();
    const prev = previous(tokens, i);
    const next = following(tokens, i);
    if (word === 'GETDATE' && isPunct(next.token, '(') && isPunct(following(tokens, next.index).token, ')')) {
      out += "(date_trunc('second', statement_timestamp())::timestamp)";
      i = following(tokens, next.index).index;
    } else if (word === 'SYSDATE' && !isPunct(next.token, '(') && !isPunct(prev.token, '.')) {
      out += 'LOCALTIMESTAMP';
    } else if (word === 'NVL' && isPunct(next.token, '(') && !isPunct(prev.token, '.')) {
      out += 'COALESCE';
    } else if (word === 'TABLE' && creating && tokens.slice(i + 1).some((x) => x.kind === 'temp') && !hasTempKeyword(tokens, i) && firstTableKeyword(tokens) === i) {
      out += 'TEMP TABLE';
    } else if (word === 'INTO' && selecting && next.token?.kind === 'temp') {
      out += 'INTO TEMP';
    } else if (creating && isPhysicalClause(tokens, i, word, prev.token)) {
      i = skipPhysicalClause(tokens, i, word);
      out = out.replace(/\s+$/, '');
      // Keep a separator: the clause may sit between two words.
      const after = tokens[i + 1];
      if (after && !isTrivia(after) && after.kind !== 'punct' && after.kind !== 'semicolon') out += ' ';
    } else out += t.text;
  }
  return out;
}

/** {@link translateTokens} for text holding any number of statements: each is rewritten on its own. */
export function translateText(tokens: readonly Token[]): string {
  let out = '';
  let from = 0;
  for (let i = 0; i <= tokens.length; i++) {
    if (i < tokens.length && tokens[i]!.kind !== 'semicolon') continue;
    out += translateTokens(tokens.slice(from, i)) + (i < tokens.length ? tokens[i]!.text : '');
    from = i + 1;
  }
  return out;
}

/** `"#name"`: the Postgres spelling of Redshift temporary table `#name`. */
export function tempName(token: Token): string {
  return `"${token.text.toLowerCase().replaceAll('"', '""')}"`;
}

const PHYSICAL_CLAUSES = new Set(['DISTSTYLE', 'DISTKEY', 'SORTKEY', 'COMPOUND', 'INTERLEAVED', 'ENCODE', 'BACKUP']);

/**
 * A physical-design keyword, not a column that happens to be named `backup` or `encode`: a
 * column name follows `(` or `,`, and COMPOUND / INTERLEAVED count only before SORTKEY.
 */
function isPhysicalClause(tokens: readonly Token[], i: number, word: string, prev: Token | undefined): boolean {
  if (!PHYSICAL_CLAUSES.has(word) || isPunct(prev, '(') || isPunct(prev, ',')) return false;
  if (word === 'COMPOUND' || word === 'INTERLEAVED') return isWord(following(tokens, i).token, 'SORTKEY');
  return true;
}

/** Skip a Redshift physical-design clause starting at `i`; returns the index of its last token. */
function skipPhysicalClause(tokens: readonly Token[], i: number, word: string): number {
  let at = i;
  if (word === 'COMPOUND' || word === 'INTERLEAVED') at = following(tokens, at).index;
  const next = following(tokens, at);
  if (word === 'DISTSTYLE' || word === 'ENCODE' || word === 'BACKUP') return next.token?.kind === 'word' ? next.index : at;
  if (isPunct(next.token, '(')) {
    let depth = 0;
    for (let j = next.index; j < tokens.length; j++) {
      if (isPunct(tokens[j], '(')) depth++;
      if (isPunct(tokens[j], ')') && --depth === 0) return j;
    }
  }
  return at;
}

function createsTable(tokens: readonly Token[]): boolean {
  return firstTableKeyword(tokens) >= 0;
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

function isPunct(token: Token | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text;
}

function previous(tokens: readonly Token[], i: number): { token: Token | undefined; index: number } {
  for (let j = i - 1; j >= 0; j--) if (!isTrivia(tokens[j]!)) return { token: tokens[j], index: j };
  return { token: undefined, index: -1 };
}

function following(tokens: readonly Token[], i: number): { token: Token | undefined; index: number } {
  for (let j = i + 1; j < tokens.length; j++) if (!isTrivia(tokens[j]!)) return { token: tokens[j], index: j };
  return { token: undefined, index: tokens.length };
}
