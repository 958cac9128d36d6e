import { columnCheck, Dag, s3ToWarehouse, sqlToS3, tableCheck } from 'dagbox';

/**
 * The course's incremental version: each daily run copies only the rows created on its logical
 * date (`WHERE DATE(created_at) = DATE('{{ ds }}')`, with ds bound as a parameter) to an S3 key of
 * its own, and upserts them on id, so re-running any day, in any order, leaves the same table.
 */
const dag = new Dag({
  id: 'mysql_to_redshift_v2',
  description: 'prod.nps -> S3 (one key per ds) -> raw_data.nps, incremental UPSERT on id',
  owner: 'data-eng',
  schedule: '@daily',
  startDate: '2021-02-05',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['course', 'incremental'],
  inputs: ['prod.nps'],
  outputs: ['s3://_/mysql_to_redshift_v2/nps/', 'raw_data.nps'],
  defaultArgs: { retries: 1, retryDelay: '3m' },
});

const extract = dag.task(
  'mysql_to_s3_nps',
  sqlToS3({
    sqlConnId: 'mysql',
    query: "SELECT id, created_at, score FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')",
    s3Key: 'mysql_to_redshift_v2/nps/{{ ds }}.csv',
    replace: true,
    inputs: ['prod.nps'],
  }),
);

const load = dag.task(
  's3_to_redshift_nps',
  s3ToWarehouse({
    s3Key: 'mysql_to_redshift_v2/nps/{{ ds }}.csv',
    schema: 'raw_data',
    table: 'nps',
    copyOptions: ['CSV', 'IGNOREHEADER 1'],
    method: 'UPSERT',
    upsertKeys: ['id'],
  }),
);

const checkDay = dag.task(
  'check_day_counts',
  tableCheck({
    connId: 'redshift',
    table: 'raw_data.nps',
    partitionClause: "DATE(created_at) = '{{ ds }}'",
    checks: { rows_out_equal_rows_in: { checkStatement: 'COUNT(*) = :extracted' } },
    parameters: (ctx) => ({ extracted: (ctx.xcom.pull('mysql_to_s3_nps') as { rows: number }).rows }),
  }),
);

const checkKeys = dag.task(
  'check_primary_key',
  columnCheck({
    connId: 'redshift',
    table: 'raw_data.nps',
    columnMapping: { id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } }, score: { min: { geq_to: 0 }, max: { leq_to: 10 } } },
  }),
);

extract.to(load).to([checkDay, checkKeys]);

export default dag;
