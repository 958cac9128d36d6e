import type { Operator, TaskContext } from '../dag/types.ts';
import { describeCondition, meets, normalizeCondition, type CheckCondition } from './check-compare.ts';
import { checkRow, quotedTable, quoteFor, whereClause } from './check-query.ts';
import { fieldWhere, jsonSafe } from './operator-support.ts';
import { withSqlTarget } from './sql-target.ts';

/** The measures of SQLColumnCheckOperator. */
export type ColumnMeasure = 'null_check' | 'distinct_check' | 'unique_check' | 'min' | 'max';

/** Checks of one column: a condition per measure, and an optional partition clause of its own. */
export type ColumnChecks = Partial<Record<ColumnMeasure, CheckCondition>> & { partition_clause?: string; partitionClause?: string };

/** Arguments of {@link columnCheck} (Airflow's SQLColumnCheckOperator). */
export interface ColumnCheckArgs {
  /** Connection id: `redshift`, `postgres`, `mysql` or one of yours. */
  connId: string;
  /** `schema.table`; templated. */
  table: string;
  /** `{ id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } }, score: { min: { geq_to: 0 }, max: { leq_to: 10 } } }`. */
  columnMapping: Record<string, ColumnChecks>;
  /** SQL condition limiting the rows checked, e.g. `DATE(created_at) = '{{ ds }}'` (quoted values are bound); templated. */
  partitionClause?: string;
  /** Treat a NULL measure (an empty table's MIN) as 0, as Airflow's accept_none (default true). */
  acceptNone?: boolean;
}

/** One measured check, as pushed to XCom. */
export interface CheckOutcome {
  check: string;
  measured: unknown;
  expected: string;
  success: boolean;
}

const MEASURES: Record<ColumnMeasure, (column: string) => string> = {
  null_check: (c) => `COUNT(*) - COUNT(${c})`,
  distinct_check: (c) => `COUNT(DISTINCT ${c})`,
  unique_check: (c) => `COUNT(${c}) - COUNT(DISTINCT ${c})`,
  min: (c) => `MIN(${c})`,
  max: (c) => `MAX(${c})`,
};

/**
 * Airflow's SQLColumnCheckOperator, "unit tests for data": per column, measure nulls
 * (`null_check`), distinct values (`distinct_check`), repeated values (`unique_check`: rows minus
 * distinct values, 0 when unique), `min` and `max`, and compare each with its condition
 * (`equal_to`, `greater_than`, `geq_to`, `less_than`, `leq_to`, `tolerance`). Any failed check fails
 * the task with every measured value; all outcomes go to XCom.
 *
 * ```ts
 * dag.task('check_nps', columnCheck({
 *   connId: 'redshift', table: 'raw_data.nps',
 *   columnMapping: { id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } }, score: { min: { geq_to: 0 }, max: { leq_to: 10 } } },
 * }));
 * ```
 */
export function columnCheck(args: ColumnCheckArgs): Operator<ColumnCheckArgs> {
  return {
    kind: 'columnCheck',
    args,
    templateFields: ['table', 'partitionClause'],
    sqlFields: { partitionClause: 'connId' },
    inputs: [args.table],
    execute: (ctx, rendered) => runColumnCheck(ctx, { ...rendered, partitionClause: args.partitionClause, columnMapping: args.columnMapping }),
  };
}

async function runColumnCheck(ctx: TaskContext, args: ColumnCheckArgs): Promise<CheckOutcome[]> {
  return withSqlTarget(ctx, args.connId, async (target) => {
    const table = quotedTable(target, args.table, fieldWhere(ctx, 'table'));
    const outcomes: CheckOutcome[] = [];
    for (const [column, checks] of Object.entries(args.columnMapping)) {
      const where = fieldWhere(ctx, `columnMapping.${column}`);
      const measures = Object.keys(checks).filter((k) => k !== 'partition_clause' && k !== 'partitionClause') as ColumnMeasure[];
      const unknown = measures.filter((m) => !(m in MEASURES));
      if (unknown.length > 0) throw new Error(`${where}: unknown check(s) ${unknown.map((m) => `"${m}"`).join(', ')}; use ${Object.keys(MEASURES).join(', ')}`);
      if (measures.length === 0) continue;
      const quoted = quoteFor(target, column);
      const select = measures.map((m) => `${MEASURES[m](quoted)} AS ${quoteFor(target, m)}`).join(', ');
      const row = await checkRow(ctx, target, `SELECT ${select} FROM ${table}${whereClause(args.partitionClause, checks.partition_clause ?? checks.partitionClause)}`, undefined, 'partitionClause');
      for (const measure of measures) {
        const condition = normalizeCondition(checks[measure]!, `${where}.${measure}`);
        const raw = row[measure];
        const measured = raw === null && (args.acceptNone ?? true) ? 0 : raw;
        const success = measured !== null && meets(measured, condition);
        outcomes.push({ check: `${column}.${measure}`, measured: jsonSafe(raw), expected: describeCondition(condition), success });
      }
    }
    report(ctx, `columnCheck on ${args.table}`, outcomes);
    return outcomes;
  });
}

/** Log every outcome; throw a sentence listing the failed ones with their measured values. */
export function report(ctx: TaskContext, what: string, outcomes: CheckOutcome[]): void {
  for (const o of outcomes) ctx.log.info(`${o.success ? 'PASS' : 'FAIL'} ${o.check}: measured ${JSON.stringify(o.measured)}, expected ${o.expected}`);
  const failed = outcomes.filter((o) => !o.success);
  if (failed.length === 0) return;
  throw new Error(
    `${what} failed ${failed.length} of ${outcomes.length} check(s): ` +
      `${failed.map((o) => `${o.check} measured ${JSON.stringify(o.measured)}, expected ${o.expected}`).join('; ')}. ` +
      'The data is wrong or the check is: fix the load or the check, then re-run the interval.',
  );
}
