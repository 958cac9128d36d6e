import type { Operator, TaskContext } from '../dag/types.ts';
import { isTrivia, lexSql, type Dialect } from '../sql/sql-lexer.ts';
import { checkRow, quotedTable, whereClause } from './check-query.ts';
import { report, type CheckOutcome } from './column-check.ts';
import { fieldWhere, jsonSafe } from './operator-support.ts';
import type { SqlParameters } from '../template/sql-template.ts';
import { withSqlTarget, type SqlTarget } from './sql-target.ts';

/** One table check: a SQL boolean expression over the table (row-level, or an aggregate such as `COUNT(*) = 10`). */
export interface TableCheck {
  /** Airflow's `check_statement`. */
  checkStatement?: string;
  check_statement?: string;
  partitionClause?: string;
  partition_clause?: string;
}

/** Arguments of {@link tableCheck} (Airflow's SQLTableCheckOperator). */
export interface TableCheckArgs {
  connId: string;
  /** `schema.table`; templated. */
  table: string;
  /** `{ row_count: { checkStatement: 'COUNT(*) = :extracted' }, score_range: { checkStatement: 'score BETWEEN 0 AND 10' } }`. */
  checks: Record<string, TableCheck>;
  /** Rows checked, e.g. `DATE(created_at) = '{{ ds }}'` (quoted values are bound); templated. */
  partitionClause?: string;
  /**
   * Values for `:name` placeholders in the statements, or a function of the task context that
   * returns them, e.g. a row count in from XCom: `(ctx) => ({ extracted: ctx.xcom.pull('extract').rows })`.
   */
  parameters?: SqlParameters | ((ctx: TaskContext) => SqlParameters);
}

/**
 * Airflow's SQLTableCheckOperator: each check is a SQL boolean expression evaluated over the table
 * (as `SELECT MIN(CASE WHEN statement THEN 1 ELSE 0 END) FROM (...)`), so it works both for
 * aggregates (`COUNT(*) = :extracted`, comparing row counts in and out) and for row-level rules
 * (`score BETWEEN 0 AND 10`, true for every row; vacuously true on no rows). A failed check fails
 * the task with what was measured: the two sides of an aggregate comparison, or how many rows
 * break a row-level rule.
 *
 * ```ts
 * dag.task('check_counts', tableCheck({
 *   connId: 'redshift', table: 'raw_data.nps', partitionClause: "DATE(created_at) = '{{ ds }}'",
 *   checks: { row_count_matches_source: { checkStatement: 'COUNT(*) = :extracted' } },
 *   parameters: (ctx) => ({ extracted: (ctx.xcom.pull('extract') as { rows: number }).rows }),
 * }));
 * ```
 */
export function tableCheck(args: TableCheckArgs): Operator<TableCheckArgs> {
  return {
    kind: 'tableCheck',
    args,
    templateFields: ['table', 'partitionClause'],
    sqlFields: { partitionClause: 'connId' },
    inputs: [args.table],
    execute: (ctx, rendered) => runTableCheck(ctx, { ...rendered, partitionClause: args.partitionClause, checks: args.checks }),
  };
}

async function runTableCheck(ctx: TaskContext, args: TableCheckArgs): Promise<CheckOutcome[]> {
  const parameters = typeof args.parameters === 'function' ? args.parameters(ctx) : args.parameters;
  return withSqlTarget(ctx, args.connId, async (target) => {
    const table = quotedTable(target, args.table, fieldWhere(ctx, 'table'));
    const outcomes: CheckOutcome[] = [];
    for (const [name, check] of Object.entries(args.checks)) {
      const statement = check.checkStatement ?? check.check_statement;
      if (!statement) throw new Error(`${fieldWhere(ctx, `checks.${name}`)}: expected checkStatement (a SQL boolean expression), found none`);
      const where = whereClause(args.partitionClause, check.partitionClause ?? check.partition_clause);
      const row = await checkRow(ctx, target, `SELECT MIN(dgbx_ok) AS ok FROM (SELECT CASE WHEN ${statement} THEN 1 ELSE 0 END AS dgbx_ok FROM ${table}${where}) AS dgbx_sq`, parameters, `checks.${name}`);
      const success = row.ok === null || Number(row.ok) === 1;
      const measured = success ? true : await explain(ctx, target, statement, table, where, parameters, name);
      outcomes.push({ check: name, measured, expected: statement, success });
    }
    report(ctx, `tableCheck on ${args.table}`, outcomes);
    return outcomes;
  });
}

/**
 * What a failed check saw: for a row-level rule, how many rows break it; for an aggregate
 * comparison (`COUNT(*) = :extracted`), both sides' values.
 */
async function explain(ctx: TaskContext, target: SqlTarget, statement: string, table: string, where: string, parameters: SqlParameters | undefined, name: string): Promise<unknown> {
  // A row fails when the statement is false or NULL, as in the check itself (CASE WHEN ... ELSE 0).
  const failing = `CASE WHEN ${statement} THEN 0 ELSE 1 END = 1`;
  const filter = where ? `${where} AND ${failing}` : ` WHERE ${failing}`;
  try {
    const row = await checkRow(ctx, target, `SELECT COUNT(*) AS failing FROM ${table}${filter}`, parameters, `checks.${name}`);
    return { failingRows: Number(row.failing) };
  } catch {
    // Aggregates cannot sit in WHERE: the statement compares aggregates.
  }
  const sides = comparisonSides(statement, target.dialect);
  if (!sides) return false;
  // A side that is just a :name placeholder is known already (and Postgres cannot type a lone parameter).
  const known = (side: string): { value: unknown } | null => {
    const m = /^\s*:(\w+)\s*$/.exec(side);
    return m && parameters && !Array.isArray(parameters) && Object.hasOwn(parameters, m[1]!) ? { value: (parameters as Record<string, unknown>)[m[1]!] } : null;
  };
  const unknown = sides.filter((side) => !known(side));
  let row: Record<string, unknown> = {};
  if (unknown.length > 0) {
    try {
      const select = unknown.map((side, i) => `${side} AS dgbx_side${i}`).join(', ');
      row = await checkRow(ctx, target, `SELECT ${select} FROM ${table}${where}`, parameters, `checks.${name}`);
    } catch {
      return false;
    }
  }
  return Object.fromEntries(sides.map((side) => [side.trim(), known(side)?.value ?? jsonSafe(row[`dgbx_side${unknown.indexOf(side)}`])]));
}

/** The two sides of a top-level comparison (`a = b`, `a >= b`, ...), or null when the expression is not one. */
export function comparisonSides(statement: string, dialect: Dialect): [string, string] | null {
  const tokens = lexSql(statement, dialect);
  let depth = 0;
  let found: { start: number; end: number } | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && ['AND', 'OR', 'BETWEEN', 'IN', 'LIKE', 'IS'].includes(t.text.toUpperCase())) return null;
    else if (depth === 0 && t.kind === 'punct' && '=<>!'.includes(t.text)) {
      if (found && found.end !== t.start) return null;
      found = found ? { start: found.start, end: t.end } : { start: t.start, end: t.end };
    }
  }
  if (!found) return null;
  const left = statement.slice(0, found.start);
  const right = statement.slice(found.end);
  return left.trim() && right.trim() && tokens.some((t) => !isTrivia(t)) ? [left, right] : null;
}
