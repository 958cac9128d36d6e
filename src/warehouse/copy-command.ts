import { escapeLiteral } from 'pg';
import { isTrivia, isWord, type Token } from '../sql/sql-lexer.ts';
import { StatementReader } from './statement-reader.ts';

/** A Redshift `COPY ... FROM 's3://...'`, read. */
export interface CopyCommand {
  /** The target table as Postgres text (`raw_data.nps`, `"#stage"`). */
  target: string;
  /** Column names as written, or null for all columns. */
  columns: string[] | null;
  /** `s3://bucket/key-prefix`: every object whose key starts with it is loaded, in key order. */
  source: string;
  format: 'csv' | 'text';
  delimiter: string;
  /** CSV quote character. */
  quote: string;
  /** The text that means NULL; null for the format's default (CSV: an unquoted empty field; text: `\N`). */
  nullAs: string | null;
  /** Lines skipped at the top of every object. */
  ignoreHeader: number;
  gzip: boolean;
  /** EMPTYASNULL: a quoted empty field loads as NULL too. */
  emptyAsNull: boolean;
}

/** Options accepted and ignored: they choose credentials, region or statistics, never the data loaded. */
const IGNORED = ['IAM_ROLE', 'CREDENTIALS', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'SESSION_TOKEN', 'REGION', 'COMPUPDATE', 'STATUPDATE'];
const SUPPORTED = ['FORMAT AS CSV', 'CSV [QUOTE AS]', 'DELIMITER', 'IGNOREHEADER', 'NULL AS', 'GZIP', 'EMPTYASNULL', "DATEFORMAT 'auto'", "TIMEFORMAT 'auto'", ...IGNORED];

/**
 * True when the statement is a COPY whose source is an S3 URL (written, or bound to a `$n`),
 * i.e. one the stand-in must carry out itself.
 */
export function isS3Copy(tokens: readonly Token[], values: readonly unknown[]): boolean {
  const sig = tokens.filter((t) => !isTrivia(t));
  if (!isWord(sig[0], 'COPY')) return false;
  const from = sig.findIndex((t) => isWord(t, 'FROM'));
  const source = sig[from + 1];
  if (from < 0 || !source) return false;
  if (source.kind === 'string') return true;
  if (source.kind === 'param') return typeof values[Number(source.text.slice(1)) - 1] === 'string';
  return false;
}

/**
 * Read a Redshift COPY statement:
 * `COPY table [(cols)] FROM 's3://bucket/prefix' [IAM_ROLE '...' | CREDENTIALS '...' | ACCESS_KEY_ID '...' SECRET_ACCESS_KEY '...']
 * [REGION '...'] [[FORMAT] [AS] CSV [QUOTE [AS] 'c']] [DELIMITER [AS] 'c'] [IGNOREHEADER [AS] n] [NULL [AS] 'x']
 * [GZIP] [EMPTYASNULL] [DATEFORMAT 'auto'] [TIMEFORMAT 'auto'] [COMPUPDATE ...] [STATUPDATE ...]`.
 * Any other option is an error that names it: the stand-in never ignores what would change the data.
 */
export function parseCopy(tokens: readonly Token[], values: readonly unknown[]): CopyCommand {
  const r = new StatementReader(tokens, values, 'COPY');
  r.expectWord('COPY', 'at the start');
  const target = r.tableName('FROM');
  const columns = r.peek()?.text === '(' ? r.columnList() : null;
  r.expectWord('FROM', 'after the table name');
  const source = r.stringArgument('FROM');
  if (!source.startsWith('s3://')) {
    throw r.error(`dagbox's Redshift stand-in loads only from S3, but the source is ${JSON.stringify(source)}; write FROM 's3://bucket/key'`);
  }
  const copy: CopyCommand = { target, columns, source, format: 'text', delimiter: '|', quote: '"', nullAs: null, ignoreHeader: 0, gzip: false, emptyAsNull: false };
  let delimiterGiven = false;
  while (!r.done) {
    if (r.acceptPunct(',')) continue;
    const word = r.peekWord();
    if (!word) throw r.error(`expected an option, found ${r.describe(r.peek())}`);
    r.next();
    switch (word) {
      case 'FORMAT':
        r.accept('AS');
        if (!r.accept('CSV')) throw unsupported(r, `FORMAT AS ${r.peekWord() || r.describe(r.peek())}`, 'only CSV (and the default text format) can be loaded');
        readCsv(r, copy);
        break;
      case 'CSV':
        readCsv(r, copy);
        break;
      case 'DELIMITER':
        r.accept('AS');
        copy.delimiter = r.stringArgument('DELIMITER');
        delimiterGiven = true;
        break;
      case 'IGNOREHEADER':
        r.accept('AS');
        copy.ignoreHeader = r.integerArgument('IGNOREHEADER');
        break;
      case 'NULL':
        r.accept('AS');
        copy.nullAs = r.stringArgument('NULL AS');
        break;
      case 'GZIP':
        copy.gzip = true;
        break;
      case 'EMPTYASNULL':
        copy.emptyAsNull = true;
        break;
      case 'DATEFORMAT':
      case 'TIMEFORMAT': {
        r.accept('AS');
        const format = r.stringArgument(word);
        if (format.toLowerCase() !== 'auto') throw unsupported(r, `${word} '${format}'`, `only ${word} 'auto' is (Postgres reads ISO dates and times)`);
        break;
      }
      case 'IAM_ROLE':
        if (!r.accept('DEFAULT')) r.stringArgument(word);
        break;
      case 'CREDENTIALS':
      case 'REGION':
        r.accept('AS');
        r.stringArgument(word);
        break;
      case 'ACCESS_KEY_ID':
      case 'SECRET_ACCESS_KEY':
      case 'SESSION_TOKEN':
        r.stringArgument(word);
        break;
      case 'COMPUPDATE':
      case 'STATUPDATE':
        if (['ON', 'OFF', 'TRUE', 'FALSE', 'PRESET'].includes(r.peekWord())) r.next();
        break;
      default:
        throw unsupported(r, word, 'it would change what is loaded, so it is refused rather than ignored');
    }
  }
  if (!delimiterGiven && copy.format === 'csv') copy.delimiter = ',';
  if (copy.delimiter.length !== 1) throw r.error(`DELIMITER must be one character, found ${JSON.stringify(copy.delimiter)}`);
  if (copy.emptyAsNull && copy.format !== 'csv') throw unsupported(r, 'EMPTYASNULL without CSV', 'EMPTYASNULL works with CSV only');
  return copy;
}

function readCsv(r: StatementReader, copy: CopyCommand): void {
  copy.format = 'csv';
  if (r.accept('QUOTE')) {
    r.accept('AS');
    copy.quote = r.stringArgument('QUOTE AS');
    if (copy.quote.length !== 1) throw r.error(`QUOTE AS must be one character, found ${JSON.stringify(copy.quote)}`);
  }
}

function unsupported(r: StatementReader, option: string, why: string): Error {
  return r.error(
    `option ${option} is not supported by dagbox's Redshift stand-in: ${why}. Supported: ${SUPPORTED.join(', ')}; remove the option or load the data another way`,
  );
}

/**
 * The Postgres `COPY ... FROM STDIN` that loads the stream a {@link CopyCommand} reads.
 * `allColumns` is needed only for EMPTYASNULL without a column list.
 */
export function postgresCopySql(copy: CopyCommand, allColumns: string[] | null = null): string {
  const options = [`FORMAT ${copy.format}`, `DELIMITER ${escapeLiteral(copy.delimiter)}`];
  if (copy.format === 'csv') options.push(`QUOTE ${escapeLiteral(copy.quote)}`);
  if (copy.nullAs !== null) options.push(`NULL ${escapeLiteral(copy.nullAs)}`);
  const columns = copy.columns ?? allColumns;
  if (copy.emptyAsNull && columns) options.push(`FORCE_NULL (${columns.join(', ')})`);
  const columnList = copy.columns ? ` (${copy.columns.join(', ')})` : '';
  return `COPY ${copy.target}${columnList} FROM STDIN WITH (${options.join(', ')})`;
}
