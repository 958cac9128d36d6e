import { columnCheck, Dag, s3ToWarehouse, sqlToS3, tableCheck } from 'dagbox';

/**
 * The course's reference pipeline, full refresh: production MySQL prod.nps -> S3 CSV -> Redshift
 * raw_data.nps, replaced in one transaction on every run (SqlToS3Operator + S3ToRedshiftOperator
 * with method REPLACE).
 */
const dag = new Dag({
  id: 'mysql_to_redshift',
  description: 'prod.nps (MySQL) -> S3 -> raw_data.nps (warehouse), full refresh',
  owner: 'data-eng',
  schedule: '0 9 * * *',
  startDate: '2021-02-05',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['course', 'full-refresh'],
  inputs: ['prod.nps'],
  outputs: ['s3://_/mysql_to_redshift/nps.csv', 'raw_data.nps'],
  defaultArgs: { retries: 1, retryDelay: '3m' },
});

const extract = dag.task(
  'mysql_to_s3_nps',
  sqlToS3({
    sqlConnId: 'mysql',
    query: 'SELECT id, created_at, score FROM prod.nps',
    s3Key: 'mysql_to_redshift/nps.csv',
    replace: true,
    inputs: ['prod.nps'],
  }),
);

const load = dag.task(
  's3_to_redshift_nps',
  s3ToWarehouse({
    s3Key: 'mysql_to_redshift/nps.csv',
    schema: 'raw_data',
    table: 'nps',
    copyOptions: ['CSV', 'IGNOREHEADER 1'],
    method: 'REPLACE',
  }),
);

const checkColumns = dag.task(
  'check_columns',
  columnCheck({
    connId: 'redshift',
    table: 'raw_data.nps',
    columnMapping: {
      id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } },
      score: { null_check: { equal_to: 0 }, min: { geq_to: 0 }, max: { leq_to: 10 } },
    },
  }),
);

const checkCounts = dag.task(
  'check_row_counts',
  tableCheck({
    connId: 'redshift',
    table: 'raw_data.nps',
    checks: { rows_out_equal_rows_in: { checkStatement: 'COUNT(*) = :extracted' } },
    parameters: (ctx) => ({ extracted: (ctx.xcom.pull('mysql_to_s3_nps') as { rows: number }).rows }),
  }),
);

extract.to(load).to([checkColumns, checkCounts]);

export default dag;
