import { escapeLiteral } from 'pg';
import { isTrivia, isWord, stringValue, type Token } from '../sql/sql-lexer.ts';
import { StatementReader } from './statement-reader.ts';

/** A Redshift `UNLOAD ('select ...') TO 's3://...'`, read. */
export interface UnloadCommand {
  /** The SELECT, as written inside the literal (still Redshift SQL). */
  query: string;
  /** `s3://bucket/name-prefix`. */
  target: string;
  format: 'csv' | 'text';
  header: boolean;
  delimiter: string;
  /** Text written for NULL; null for the format's default (CSV: empty; text: `\N`). */
  nullAs: string | null;
  allowOverwrite: boolean;
  /** CLEANPATH: delete the objects under the prefix first. */
  cleanPath: boolean;
  parallel: boolean;
  gzip: boolean;
  /** EXTENSION 'csv': appended to the file name after a dot. */
  extension: string | null;
}

const IGNORED = ['IAM_ROLE', 'CREDENTIALS', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY', 'SESSION_TOKEN', 'REGION'];
const SUPPORTED = ['FORMAT AS CSV', 'CSV', 'HEADER', 'DELIMITER', 'NULL AS', 'ALLOWOVERWRITE', 'CLEANPATH', 'PARALLEL ON|OFF', 'GZIP', 'EXTENSION', ...IGNORED];

/** True when the statement is an UNLOAD. */
export function isUnload(tokens: readonly Token[]): boolean {
  return isWord(tokens.find((t) => !isTrivia(t)), 'UNLOAD');
}

/**
 * Read a Redshift UNLOAD: `UNLOAD ('select ...') TO 's3://bucket/prefix' [IAM_ROLE ... | CREDENTIALS ...]
 * [[FORMAT] [AS] CSV] [HEADER] [DELIMITER [AS] 'c'] [NULL [AS] 'x'] [ALLOWOVERWRITE] [CLEANPATH]
 * [PARALLEL {ON|TRUE|OFF|FALSE}] [GZIP] [EXTENSION 'ext']`. The query must be a string literal
 * (not a placeholder: it is SQL, not a value). Other options are errors naming the option.
 */
export function parseUnload(tokens: readonly Token[], values: readonly unknown[]): UnloadCommand {
  const r = new StatementReader(tokens, values, 'UNLOAD');
  const unload: UnloadCommand = { ...readQueryAndTarget(r), ...UNLOAD_DEFAULTS };
  let delimiterGiven = false;
  while (!r.done) {
    if (r.acceptPunct(',')) continue;
    const word = r.peekWord();
    if (!word) throw r.error(`expected an option, found ${r.describe(r.peek())}`);
    r.next();
    switch (word) {
      case 'FORMAT':
        r.accept('AS');
        if (!r.accept('CSV')) throw unsupported(r, `FORMAT AS ${r.peekWord() || r.describe(r.peek())}`, 'only CSV (and the default text format) can be written');
        unload.format = 'csv';
        break;
      case 'CSV':
        unload.format = 'csv';
        break;
      case 'HEADER':
        unload.header = true;
        break;
      case 'DELIMITER':
        r.accept('AS');
        unload.delimiter = r.stringArgument('DELIMITER');
        delimiterGiven = true;
        break;
      case 'NULL':
        r.accept('AS');
        unload.nullAs = r.stringArgument('NULL AS');
        break;
      case 'ALLOWOVERWRITE':
        unload.allowOverwrite = true;
        break;
      case 'CLEANPATH':
        unload.cleanPath = true;
        break;
      case 'PARALLEL': {
        const value = r.peekWord();
        if (['ON', 'TRUE', 'OFF', 'FALSE'].includes(value)) r.next();
        unload.parallel = value !== 'OFF' && value !== 'FALSE';
        break;
      }
      case 'GZIP':
        unload.gzip = true;
        break;
      case 'EXTENSION':
        unload.extension = r.stringArgument('EXTENSION').replace(/^\./, '');
        break;
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
      default:
        throw unsupported(r, word, 'it would change what is written, so it is refused rather than ignored');
    }
  }
  if (!delimiterGiven && unload.format === 'csv') unload.delimiter = ',';
  if (unload.delimiter.length !== 1) throw r.error(`DELIMITER must be one character, found ${JSON.stringify(unload.delimiter)}`);
  return unload;
}

/** `UNLOAD ('select ...') TO 's3://...'`: the query and the target, before the options. */
function readQueryAndTarget(r: StatementReader): Pick<UnloadCommand, 'query' | 'target'> {
  r.expectWord('UNLOAD', 'at the start');
  r.expectPunct('(', "before the query: UNLOAD ('select ...')");
  const literal = r.next();
  if (literal?.kind !== 'string') {
    throw r.error(`expected the query as a quoted string, found ${r.describe(literal)}; UNLOAD's query is SQL text, so it cannot be a bound value`);
  }
  const query = stringValue(literal, 'postgres');
  r.expectPunct(')', 'after the query');
  r.expectWord('TO', 'after the query');
  const target = r.stringArgument('TO');
  if (!target.startsWith('s3://')) throw r.error(`TO must be an S3 URL (s3://bucket/prefix), found ${JSON.stringify(target)}`);
  return { query, target };
}

/** What UNLOAD writes when no option says otherwise: Redshift's defaults. */
const UNLOAD_DEFAULTS = {
  format: 'text',
  header: false,
  delimiter: '|',
  nullAs: null,
  allowOverwrite: false,
  cleanPath: false,
  parallel: true,
  gzip: false,
  extension: null,
} as const satisfies Omit<UnloadCommand, 'query' | 'target'>;

function unsupported(r: StatementReader, option: string, why: string): Error {
  return r.error(`option ${option} is not supported by dagbox's Redshift stand-in: ${why}. Supported: ${SUPPORTED.join(', ')}; remove the option`);
}

/** The key UNLOAD writes: Redshift's name for the first slice's file (`prefix0000_part_00`, or `prefix000` with PARALLEL OFF). */
export function unloadKey(unload: UnloadCommand, prefixKey: string): string {
  let key = `${prefixKey}${unload.parallel ? '0000_part_00' : '000'}`;
  if (unload.extension) key += `.${unload.extension}`;
  if (unload.gzip) key += '.gz';
  return key;
}

/** The Postgres `COPY (query) TO STDOUT` that produces the file. `query` is already Postgres SQL. */
export function postgresUnloadSql(unload: UnloadCommand, query: string): string {
  const options = [`FORMAT ${unload.format}`, `DELIMITER ${escapeLiteral(unload.delimiter)}`];
  if (unload.header) options.push('HEADER true');
  if (unload.nullAs !== null) options.push(`NULL ${escapeLiteral(unload.nullAs)}`);
  return `COPY (${query}) TO STDOUT WITH (${options.join(', ')})`;
}
