import type { PoolConnection } from 'mysql2/promise';
import type { PoolClient } from 'pg';
import type { Dataset, Operator, TaskContext } from '../dag/types.ts';
import { leadingKeyword, lexSql } from '../sql/sql-lexer.ts';
import { mysqlRun } from './mysql-exec.ts';
import { bindForTask, jsonSafe, readSqlInput, type SqlInput } from './operator-support.ts';
import { pgRun } from './pg-exec.ts';
import type { BoundStatement, SqlParameters } from '../template/sql-template.ts';
import { withSqlTarget, type SqlTarget } from './sql-target.ts';

/** Arguments of {@link sql} (Airflow's SQLExecuteQueryOperator). */
export interface SqlArgs {
  /** Connection id: `redshift` (the warehouse, speaking Redshift), `postgres`, `mysql`, or one of yours. */
  connId: string;
  /**
   * SQL: a string (several statements separated by `;` are fine), a `.sql` file as a URL
   * (`new URL('sql/summary.sql', import.meta.url)`), or a list of them. Templated: every quoted
   * template value is a bound parameter (see {@link bindSqlTemplate}).
   */
  sql: SqlInput;
  /** Values for the SQL's own placeholders (`$1` / `?`, or `:name` with an object); templated. Every statement sees them all. */
  parameters?: SqlParameters;
  /**
   * Run each statement on its own (true), or all in ONE transaction (default, as Airflow's
   * autocommit=False). SQL with its own BEGIN/COMMIT/END runs as written.
   */
  autocommit?: boolean;
  /** Push the last statement's rows to XCom (as objects; DECIMAL, BIGINT and dates as exact text). */
  returnRows?: boolean;
  /** Tables and prefixes read and written, for lineage. */
  inputs?: Dataset[];
  outputs?: Dataset[];
}

/**
 * Airflow's SQLExecuteQueryOperator: run SQL on a connection, one statement at a time on one
 * connection, in one transaction unless `autocommit`; a failure rolls back and fails the task.
 * Through `redshift` the statements may use Redshift's COPY/UNLOAD/GETDATE()/#temp.
 *
 * `sql` is a SQL field (`sqlFields`): `dagbox tasks render` binds it as execute does and shows
 * the one rendering both use; execute sends the bound statements, so `'{{ ds }}'` reaches the
 * database as a parameter and `part_{{ ds_nodash }}` as the name `part_20210205`.
 *
 * ```ts
 * dag.task('summary', sql({
 *   connId: 'redshift',
 *   sql: `DELETE FROM analytics.course_summary;
 *         INSERT INTO analytics.course_summary SELECT ... WHERE created_at < '{{ data_interval_end }}'`,
 * }));
 * ```
 */
export function sql(args: SqlArgs): Operator<SqlArgs> {
  return {
    kind: 'sql',
    args,
    templateFields: ['sql', 'parameters'],
    sqlFields: { sql: 'connId' },
    inputs: args.inputs,
    outputs: args.outputs,
    execute: (ctx, rendered) => runSql(ctx, { ...rendered, sql: args.sql }),
  };
}

const TRANSACTION_CONTROL = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT']);

async function runSql(ctx: TaskContext, args: SqlArgs): Promise<unknown> {
  const templates = await readSqlInput(args.sql, `task "${ctx.taskId}" of DAG "${ctx.dagId}", field "sql"`);
  return withSqlTarget(ctx, args.connId, async (target) => {
    const statements = templates.flatMap((t) => bindForTask(ctx, t, target.dialect, args.parameters, 'sql'));
    const ownTransactions = statements.some((s) => TRANSACTION_CONTROL.has(leadingKeyword(lexSql(s.text, target.dialect))));
    const wrap = !args.autocommit && !ownTransactions && statements.length > 0;
    const session = await openSession(target);
    let rows: unknown[] = [];
    try {
      if (wrap) await session.run(target.dialect === 'mysql' ? 'START TRANSACTION' : 'BEGIN', []);
      for (const [i, statement] of statements.entries()) {
        ctx.log.info(`statement ${i + 1}/${statements.length}: ${preview(statement)}`);
        const outcome = await session.run(statement.text, statement.values).catch((error: unknown) => {
          throw statementError(error, i + 1, statements.length, statement);
        });
        rows = outcome.rows;
        if (outcome.affected !== null) ctx.log.info(`  ${outcome.affected} row(s) affected`);
        ctx.faultPoint('statement', { rows: outcome.affected ?? outcome.rows.length });
      }
      if (wrap) await session.run('COMMIT', []);
      session.release();
    } catch (error) {
      await session.run('ROLLBACK', []).catch(() => {});
      session.release(error);
      throw error;
    }
    return args.returnRows ? jsonSafe(rows) : undefined;
  });
}

/**
 * A database error as a person reads it: which statement, the statement, and the database's own
 * message (with its detail and hint), without the driver's JavaScript stack (its frames stay in
 * `stack`, which the task log keeps and `--verbose` shows); the driver's error is the `cause`.
 */
export function statementError(error: unknown, index: number, count: number, statement: BoundStatement): Error {
  const db = error as { message?: string; detail?: string; hint?: string; code?: string; sqlMessage?: string };
  const message = db?.sqlMessage ?? db?.message ?? String(error);
  const extra = [db?.detail ? `detail: ${db.detail}` : null, db?.hint ? `hint: ${db.hint}` : null].filter(Boolean).join('; ');
  const wrapped = new Error(`statement ${index} of ${count} failed: ${message}${extra ? ` (${extra})` : ''}\n  ${preview(statement)}`, { cause: error });
  const frames = error instanceof Error && error.stack ? error.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  wrapped.stack = [`Error: ${wrapped.message}`, ...frames].join('\n');
  return wrapped;
}

interface SqlSession {
  run(text: string, values: readonly unknown[]): Promise<{ rows: unknown[]; affected: number | null }>;
  release(error?: unknown): void;
}

async function openSession(target: SqlTarget): Promise<SqlSession> {
  if (target.dialect === 'mysql') {
    const conn: PoolConnection = await target.pool.getConnection();
    return {
      async run(text, values) {
        const { rows } = await mysqlRun(conn, text, values);
        if (Array.isArray(rows)) return { rows: Array.isArray(rows[0]) ? (rows[rows.length - 1] as unknown[]) : rows, affected: null };
        return { rows: [], affected: (rows as { affectedRows?: number }).affectedRows ?? null };
      },
      release: (error) => (error === undefined ? conn.release() : conn.destroy()),
    };
  }
  const client: PoolClient = await target.pool.connect();
  return {
    async run(text, values) {
      const result = await pgRun(client, text, values);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return { rows: last?.rows ?? [], affected: last?.command === 'SELECT' ? null : (last?.rowCount ?? null) };
    },
    release: (error) => client.release(error === undefined ? undefined : true),
  };
}

function preview(statement: BoundStatement): string {
  const text = statement.text.replace(/\s+/g, ' ');
  return `${text.length > 160 ? `${text.slice(0, 160)}...` : text}${statement.values.length ? `  [${statement.values.length} bound value(s)]` : ''}`;
}
