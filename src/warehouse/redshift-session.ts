import type { ClientBase, QueryConfig, QueryResult } from 'pg';
import { isS3Copy, parseCopy } from './copy-command.ts';
import { copyFromS3, type S3Access } from './copy-from-s3.ts';
import { translateTokens, translateCached } from './redshift-translate.ts';
import { leadingKeyword, lexSql, type Statement } from '../sql/sql-lexer.ts';
import { prepareWarehouseSession } from './redshift-dialect.ts';
import { isUnload, parseUnload } from './unload-command.ts';
import { unloadToS3 } from './unload-to-s3.ts';

/** How a query must be run on the stand-in. */
export type RedshiftPlan =
  /** Plain Postgres: send as it is. */
  | { kind: 'as-is' }
  /** Plain, once rewritten (GETDATE, #temp, ...): send `text` instead. */
  | { kind: 'rewritten'; text: string }
  /** Holds a COPY from S3, an UNLOAD or a TRUNCATE: run statement by statement on one client. */
  | { kind: 'emulated'; statements: Statement[] };

/**
 * Decide how to run `text` on the stand-in, without touching the database. The text is lexed and
 * translated once (cached by text); a statement Redshift refuses throws its RedshiftRefusal.
 *
 * ```ts
 * planRedshift('select getdate()', []); // { kind: 'rewritten', text: 'select dagbox.getdate()' }
 * ```
 */
export function planRedshift(text: string, values: readonly unknown[]): RedshiftPlan {
  const translated = translateCached(text);
  const { statements } = translated;
  if (statements.some((s) => isS3Copy(s.tokens, values) || isUnload(s.tokens) || leadingKeyword(s.tokens) === 'TRUNCATE')) return { kind: 'emulated', statements };
  if (typeof translated.text !== 'string') throw translated.text;
  return translated.text === text ? { kind: 'as-is' } : { kind: 'rewritten', text: translated.text };
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
    if (ownTransaction && transactionStatus(client) !== 'I') await client.query('COMMIT');
  } catch (error) {
    if (ownTransaction && transactionStatus(client) !== 'I') await client.query('ROLLBACK').catch(() => {});
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
  const text = translateTokens(statement.tokens);
  // Redshift's TRUNCATE commits the transaction it runs in: what came before it stays, even if a
  // later statement fails and the transaction is rolled back.
  if (leadingKeyword(statement.tokens) === 'TRUNCATE' && transactionStatus(client) !== 'I') await client.query('COMMIT');
  return client.query({ ...config, text });
}

function result(command: string, rowCount: number): QueryResult {
  return { command, rowCount, oid: 0, fields: [], rows: [] };
}

/** Transaction status of each client seen, from the server's ReadyForQuery messages: I idle, T in a transaction, E failed. */
const statuses = new WeakMap<ClientBase, { status: string }>();

/**
 * Follow the client's transaction status (what psql shows as `=*#`), so that TRUNCATE knows
 * whether it has a transaction to commit. Call once when the client is first wrapped, while idle.
 */
export function trackTransactionStatus(client: ClientBase): void {
  if (statuses.has(client)) return;
  const state = { status: 'I' };
  statuses.set(client, state);
  const connection = (client as unknown as { connection?: { on(event: string, listener: (message: { status?: string }) => void): void } }).connection;
  connection?.on('readyForQuery', (message) => {
    if (typeof message.status === 'string') state.status = message.status;
  });
}

/** `I` (idle), `T` (in a transaction) or `E` (in a failed transaction); `T` when not tracked, which commits to be safe. */
export function transactionStatus(client: ClientBase): string {
  return statuses.get(client)?.status ?? 'T';
}

/** Connections already set up to speak Redshift (search_path, dagbox schema), and the setup under way. */
const prepared = new WeakMap<ClientBase, Promise<void>>();

/**
 * Set the connection up for Redshift once (see {@link prepareWarehouseSession}); every later call
 * waits for the same setup. A failed setup is retried on the next call.
 */
export function prepareOnce(client: ClientBase): Promise<void> {
  let setup = prepared.get(client);
  if (!setup) {
    trackTransactionStatus(client);
    setup = prepareWarehouseSession(client).catch((error: unknown) => {
      prepared.delete(client);
      throw error;
    });
    prepared.set(client, setup);
  }
  return setup;
}
