import { isTrivia, stringValue, type Token } from '../sql/sql-lexer.ts';
import { tempName } from './redshift-translate.ts';

/**
 * Walks the meaningful tokens of one COPY or UNLOAD statement, resolving literals and `$n`
 * placeholders to their values, and builds errors that quote the statement.
 */
export class StatementReader {
  private readonly tokens: Token[];
  private at = 0;

  constructor(
    tokens: readonly Token[],
    private readonly values: readonly unknown[],
    /** `COPY` or `UNLOAD`, for messages. */
    readonly command: string,
  ) {
    this.tokens = tokens.filter((t) => !isTrivia(t));
  }

  /** The current token, or undefined at the end. */
  peek(offset = 0): Token | undefined {
    return this.tokens[this.at + offset];
  }

  next(): Token | undefined {
    return this.tokens[this.at++];
  }

  get done(): boolean {
    return this.at >= this.tokens.length;
  }

  /** The current token upper-cased when it is a word, else ''. */
  peekWord(offset = 0): string {
    const t = this.peek(offset);
    return t?.kind === 'word' ? t.text.toUpperCase() : '';
  }

  /** Consume the word if it is next. */
  accept(word: string): boolean {
    if (this.peekWord() !== word) return false;
    this.at++;
    return true;
  }

  acceptPunct(text: string): boolean {
    const t = this.peek();
    if (t?.kind !== 'punct' || t.text !== text) return false;
    this.at++;
    return true;
  }

  expectWord(word: string, what: string): void {
    if (!this.accept(word)) throw this.error(`expected ${word} ${what}, found ${this.describe(this.peek())}`);
  }

  expectPunct(text: string, what: string): void {
    if (!this.acceptPunct(text)) throw this.error(`expected "${text}" ${what}, found ${this.describe(this.peek())}`);
  }

  /** A string literal or `$n` placeholder holding a string, as its value. */
  stringArgument(option: string): string {
    const t = this.next();
    if (t?.kind === 'string') return stringValue(t, 'postgres');
    if (t?.kind === 'param') {
      const value = this.values[Number(t.text.slice(1)) - 1];
      if (typeof value === 'string') return value;
      throw this.error(`${option} takes a string, but ${t.text} is bound to ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    }
    throw this.error(`${option} takes a quoted string, found ${this.describe(t)}`);
  }

  /** A whole number, written as a number, a quoted number or a `$n` placeholder. */
  integerArgument(option: string): number {
    const t = this.peek();
    const text = t?.kind === 'number' ? (this.next(), t.text) : this.stringArgument(option);
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw this.error(`${option} takes a whole number of 0 or more, found ${JSON.stringify(text)}`);
    return n;
  }

  /**
   * A table name as Postgres text: words, quoted names and dots, with `#temp` names spelled
   * for Postgres. Stops before `(` or the keyword `stop`.
   */
  tableName(stop: string): string {
    let out = '';
    for (;;) {
      const t = this.peek();
      if (!t || (t.kind === 'punct' && t.text === '(') || this.peekWord() === stop) break;
      if (t.kind !== 'word' && t.kind !== 'quoted' && t.kind !== 'temp' && !(t.kind === 'punct' && t.text === '.')) {
        throw this.error(`expected a table name, found ${this.describe(t)}`);
      }
      out += t.kind === 'temp' ? tempName(t) : t.text;
      this.at++;
    }
    if (!out) throw this.error(`expected a table name, found ${this.describe(this.peek())}`);
    return out;
  }

  /** `(a, "B", c)` as the column names' texts, as written. */
  columnList(): string[] {
    this.expectPunct('(', 'to open the column list');
    const columns: string[] = [];
    for (;;) {
      const t = this.next();
      if (t?.kind !== 'word' && t?.kind !== 'quoted') throw this.error(`expected a column name in the column list, found ${this.describe(t)}`);
      columns.push(t.text);
      if (this.acceptPunct(')')) return columns;
      this.expectPunct(',', 'between column names');
    }
  }

  describe(t: Token | undefined): string {
    return t ? `"${t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text}"` : 'the end of the statement';
  }

  error(problem: string): Error {
    return new Error(`${this.command}: ${problem}.`);
  }
}
