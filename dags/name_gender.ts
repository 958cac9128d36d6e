import { columnCheck, Dag, s3ToWarehouse, tableCheck } from 'dagbox';

/**
 * The course's first pipeline: a CSV of (name, gender) fully refreshed into raw_data.name_gender,
 * whose name is the primary key. REPLACE empties the table and COPYs in one transaction, so a failed load
 * leaves yesterday's table, never a half-filled one.
 */
const dag = new Dag({
  id: 'name_gender',
  description: 'full refresh of a (name, gender) CSV in S3 into raw_data.name_gender',
  owner: 'data-eng',
  schedule: '0 2 * * *',
  startDate: '2021-02-05',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['course', 'full-refresh'],
  inputs: ['s3://_/name_gender/name_gender.csv'],
  outputs: ['raw_data.name_gender'],
  defaultArgs: { retries: 1, retryDelay: '3m' },
});

const load = dag.task(
  'load',
  s3ToWarehouse({
    s3Key: 'name_gender/name_gender.csv',
    schema: 'raw_data',
    table: 'name_gender',
    copyOptions: ['CSV', 'IGNOREHEADER 1'],
    method: 'REPLACE',
  }),
);

const checkColumns = dag.task(
  'check_columns',
  columnCheck({
    connId: 'redshift',
    table: 'raw_data.name_gender',
    columnMapping: {
      name: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } },
      gender: { null_check: { equal_to: 0 }, distinct_check: { leq_to: 2 } },
    },
  }),
);

const checkTable = dag.task(
  'check_table',
  tableCheck({
    connId: 'redshift',
    table: 'raw_data.name_gender',
    checks: {
      rows_out_equal_rows_in: { checkStatement: 'COUNT(*) = :loaded' },
      gender_is_m_or_f: { checkStatement: "gender IN ('M', 'F')" },
    },
    parameters: (ctx) => ({ loaded: (ctx.xcom.pull('load') as { rows: number }).rows }),
  }),
);

load.to([checkColumns, checkTable]);

export default dag;
