import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { meets, normalizeCondition } from '../../src/operators/check-compare.ts';
import { columnCheck, tableCheck } from '../../src/operators/index.ts';
import { comparisonSides } from '../../src/operators/table-check.ts';
import { startPipelineHarness, type PipelineHarness } from '../pipelines/harness.ts';

describe('check conditions (Airflow semantics)', () => {
  const ok = (measured: unknown, condition: object) => meets(measured, normalizeCondition(condition, 'c'));

  it('compares with equal_to, greater_than, geq_to, less_than, leq_to, all of them together', () => {
    expect(ok(0, { equal_to: 0 })).toBe(true);
    expect(ok('0', { equalTo: 0 })).toBe(true);
    expect(ok(5, { greater_than: 4, less_than: 6 })).toBe(true);
    expect(ok(6, { greater_than: 4, less_than: 6 })).toBe(false);
    expect(ok(10, { geq_to: 10, leq_to: 10 })).toBe(true);
  });

  it('tolerance widens the bounds by a fraction, as Airflow does', () => {
    expect(ok(92, { equal_to: 100, tolerance: 0.1 })).toBe(true);
    expect(ok(89, { equal_to: 100, tolerance: 0.1 })).toBe(false);
    expect(ok(10.9, { leq_to: 10, tolerance: 0.1 })).toBe(true);
    expect(ok(8.9, { geq_to: 10, tolerance: 0.1 })).toBe(false);
  });

  it('dates compare as text, exactly', () => {
    expect(ok('2021-02-07', { leq_to: '2021-02-08' })).toBe(true);
    expect(ok('2021-02-09', { less_than: '2021-02-08' })).toBe(false);
  });

  it('an unknown key or no bound at all is an error', () => {
    expect(() => normalizeCondition({ equals: 1 } as never, 'id.null_check')).toThrow('id.null_check: unknown condition key(s) "equals"');
    expect(() => normalizeCondition({ tolerance: 0.1 }, 'id.min')).toThrow('the condition sets no bound');
  });

  it('finds the two sides of a top-level comparison only', () => {
    expect(comparisonSides('COUNT(*) >= :n', 'postgres')).toEqual(['COUNT(*) ', ' :n']);
    expect(comparisonSides("COUNT(*) = (SELECT COUNT(*) FROM t WHERE a = 'x')", 'postgres')).toEqual(['COUNT(*) ', " (SELECT COUNT(*) FROM t WHERE a = 'x')"]);
    expect(comparisonSides('a = 1 AND b = 2', 'postgres')).toBeNull();
    expect(comparisonSides('score BETWEEN 0 AND 10', 'mysql')).toBeNull();
  });
});

describe('columnCheck and tableCheck against the warehouse and MySQL', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h?.close());
  beforeEach(async () => {
    await h.reset();
    await h.pg("INSERT INTO raw_data.nps VALUES (1, '2021-02-05 10:00:00', 9), (2, '2021-02-05 11:00:00', 11), (3, '2021-02-06 09:00:00', NULL)");
  });

  it('columnCheck measures nulls, distinct and repeated values, min and max, and fails with every measured value', async () => {
    const run = await h.runOperator(
      columnCheck({
        connId: 'redshift',
        table: 'raw_data.nps',
        columnMapping: {
          id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 }, distinct_check: { equal_to: 3 } },
          score: { null_check: { equal_to: 0 }, min: { geq_to: 0 }, max: { leq_to: 10 } },
        },
      }),
    );
    expect(run.state).toBe('failed');
    expect(run.error).toBe(
      'columnCheck on raw_data.nps failed 2 of 6 check(s): score.null_check measured "1", expected equal_to 0; score.max measured 11, expected leq_to 10. ' +
        'The data is wrong or the check is: fix the load or the check, then re-run the interval.',
    );
    expect(run.log).toContain('PASS id.unique_check: measured "0", expected equal_to 0');
  });

  it('a partition clause limits the rows, with its template value bound', async () => {
    const run = await h.runOperator(
      columnCheck({ connId: 'redshift', table: 'raw_data.nps', partitionClause: "DATE(created_at) = '{{ ds }}'", columnMapping: { score: { null_check: { equal_to: 0 }, max: { leq_to: 11 } } } }),
    );
    expect(run.error).toBeUndefined();
    expect(run.value).toEqual([
      { check: 'score.null_check', measured: '0', expected: 'equal_to 0', success: true },
      { check: 'score.max', measured: 11, expected: 'leq_to 11', success: true },
    ]);
  });

  it('tableCheck: an aggregate comparison reports both sides; a row rule reports how many rows break it', async () => {
    const run = await h.runOperator(
      tableCheck({
        connId: 'redshift',
        table: 'raw_data.nps',
        checks: {
          rows_in_equal_rows_out: { checkStatement: 'COUNT(*) = :extracted' },
          score_in_range: { checkStatement: 'score BETWEEN 0 AND 10' },
          ids_positive: { check_statement: 'id > 0' },
        },
        parameters: () => ({ extracted: 4 }),
      }),
    );
    expect(run.state).toBe('failed');
    expect(run.error).toContain('rows_in_equal_rows_out measured {"COUNT(*)":"3",":extracted":4}, expected COUNT(*) = :extracted');
    expect(run.error).toContain('score_in_range measured {"failingRows":2}, expected score BETWEEN 0 AND 10');
    expect(run.error).not.toContain('ids_positive');
  });

  it('tableCheck on MySQL with a per-check partition clause', async () => {
    const run = await h.runOperator(
      tableCheck({ connId: 'mysql', table: 'prod.nps', checks: { six_on_ds: { checkStatement: 'COUNT(*) = 6', partitionClause: "DATE(created_at) = '{{ ds }}'" } } }),
    );
    expect(run.error).toBeUndefined();
  });
});
