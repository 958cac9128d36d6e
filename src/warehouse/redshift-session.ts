import type { ClientBase, QueryConfig, QueryResult } from 'pg';
import { isS3Copy, parseCopy } from './copy-command.ts';
import { copyFromS3, type S3Access } from './copy-from-s3.ts';
import { translateText, translateTokens } from './redshift-translate.ts';
import { leadingKeyword, lexSql, splitStatements, type Statement } from '../sql/sql-lexer.ts';
import { isUnload, parseUnload } from './unload-command.ts';
import { unloadToS3 } from './unload-to-s3.ts';

/** How a query must be run on the stand-in. */
export type RedshiftPlan =
  /** Plain Postgres: send as it is. */
  | { kind: 'as-is' }
  /** Plain, once rewritten (GETDATE, #temp, ...): send `text` instead. */
  | { kind: 'rewritten'; text: string }
  /** Holds a COPY from S3 or an UNLOAD: run statement by statement on one client. */
  | { kind: 'emulated'; statements: Statement[] };

/**
 * Decide how to run `text` on the stand-in, without touching the database.
 *
 * ```ts
 * planRedshift('select getdate()', []); // { kind: 'rewritten', text: "select (date_trunc(...)::timestamp)" }
 * ```
 */
export function planRedshift(text: string, values: readonly unknown[]): RedshiftPlan {
  const tokens = lexSql(text, 'postgres');
  const statements = splitStatements(tokens);
  if (statements.some((s) => isS3Copy(s.tokens, values) || isUnload(s.tokens))) return { kind: 'emulated', statements };
  const out = translateText(tokens);
  return out === text ? { kind: 'as-is' } : { kind: 'rewritten', text: out };
}

/**
 * Run the statements of an emulated plan on one client, in order, as Postgres runs a
 * multi-statement query: several statements without BEGIN/COMMIT of their own run in one
 * transaction (rolled back when one fails). Returns one result, or one per statement.
 */
export async function runEmulated(client: ClientBase, statements: Statement[], config: QueryConfig, access: S3Access): Promise<QueryResult | QueryResult[]> {
  const values = config.values ?? [];
  if (statements.length === 1) return runStatement(client, statements[0]!, config, access);
  if (values.length > 0) {
    throw new Error(
      `cannot bind parameters to ${statements.length} statements in one query (Postgres binds them to one statement only); ` +
        'send the statements one by one, or use the sql operator, which splits and binds them.',
    );
  }
  const ownTransaction = !statements.some((s) => TRANSACTION_CONTROL.has(leadingKeyword(s.tokens)));
  const results: QueryResult[] = [];
  if (ownTransaction) await client.query('BEGIN');
  try {
    for (const statement of statements) results.push(await runStatement(client, statement, { text: statement.text }, access));
    if (ownTransaction) await client.query('COMMIT');
  } catch (error) {
    if (ownTransaction) await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  return results;
}

const TRANSACTION_CONTROL = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT']);

async function runStatement(client: ClientBase, statement: Statement, config: QueryConfig, access: S3Access): Promise<QueryResult> {
  const values = config.values ?? [];
  if (isUnload(statement.tokens)) {
    if (values.length > 0 && !/\$\d/.test(statement.text)) throw new Error('UNLOAD was given bound values but has no $n placeholder to take them.');
    const unload = parseUnload(statement.tokens, values);
    const query = translateTokens(lexSql(unload.query, 'postgres'));
    const { rowCount } = await unloadToS3(client, unload, query, access);
    return result('UNLOAD', rowCount);
  }
  if (isS3Copy(statement.tokens, values)) {
    const { rowCount } = await copyFromS3(client, parseCopy(statement.tokens, values), access);
    return result('COPY', rowCount);
  }
  return client.query({ ...config, text: translateTokens(statement.tokens) });
}

function result(command: string, rowCount: number): QueryResult {
  return { command, rowCount, oid: 0, fields: [], rows: [] };
}
