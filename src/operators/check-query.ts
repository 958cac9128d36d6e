import type { TaskContext } from '../dag/types.ts';
import { quotePgIdent, quoteMysqlIdent } from '../sql/identifiers.ts';
import { mysqlRun } from './mysql-exec.ts';
import { bindForTask, singleStatement, splitTableName } from './operator-support.ts';
import { pgRun } from './pg-exec.ts';
import type { SqlParameters } from '../template/sql-template.ts';
import type { SqlTarget } from './sql-target.ts';

/** Quote an identifier for the target's dialect. */
export function quoteFor(target: SqlTarget, name: string): string {
  return target.dialect === 'mysql' ? quoteMysqlIdent(name) : quotePgIdent(name);
}

/** `schema.table` quoted for the target. */
export function quotedTable(target: SqlTarget, name: string, where: string): string {
  const { schema, table } = splitTableName(name, null, where);
  return schema === null ? quoteFor(target, table) : `${quoteFor(target, schema)}.${quoteFor(target, table)}`;
}

/** ` WHERE (a) AND (b)` from the partition clauses given, or ''. */
export function whereClause(...clauses: (string | undefined)[]): string {
  const given = clauses.filter((c): c is string => typeof c === 'string' && c.trim() !== '');
  return given.length ? ` WHERE ${given.map((c) => `(${c.replace(/^\s*where\s+/i, '')})`).join(' AND ')}` : '';
}

/**
 * Run a check's SELECT (a template: partition clauses may hold `'{{ ds }}'`, bound like any
 * templated SQL) and return its first row, values in native form (counts as numbers or text).
 */
export async function checkRow(ctx: TaskContext, target: SqlTarget, template: string, parameters: SqlParameters | undefined, field: string): Promise<Record<string, unknown>> {
  const statement = singleStatement(bindForTask(ctx, template, target.dialect, parameters, field), ctx, field);
  if (target.dialect === 'mysql') {
    const conn = await target.pool.getConnection();
    try {
      const { rows } = await mysqlRun(conn, statement.text, statement.values);
      return ((rows as Record<string, unknown>[])[0] ?? {}) as Record<string, unknown>;
    } finally {
      conn.release();
    }
  }
  const result = await pgRun(target.pool, statement.text, statement.values);
  return (result.rows[0] ?? {}) as Record<string, unknown>;
}
