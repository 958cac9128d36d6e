/**
 * The operators Airflow users know, for dagbox DAGs: SQL, SQL to S3, S3 to the warehouse, SQL to
 * SQL, HTTP (from fixtures), and column and table checks. Templated SQL always reaches the database
 * with its values bound (see {@link bindSqlTemplate}).
 *
 * ```ts
 * import { Dag, sqlToS3, s3ToWarehouse } from 'dagbox';
 * const dag = new Dag({ id: 'nps', schedule: '@daily', startDate: '2021-02-05' });
 * dag.task('extract', sqlToS3({ query: "SELECT * FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')", s3Key: 'nps/{{ ds }}.csv', replace: true }))
 *   .to(dag.task('load', s3ToWarehouse({ s3Key: 'nps/{{ ds }}.csv', schema: 'raw_data', table: 'nps', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'UPSERT' })));
 * export default dag;
 * ```
 *
 * May import: dag/, config/, template/, warehouse/, sql/, shared/ (the layers are checked by
 * .dependency-cruiser.cjs).
 */
export { sql } from './sql.ts';
export type { SqlArgs } from './sql.ts';
export { sqlToS3 } from './sql-to-s3.ts';
export type { SqlToS3Args, SqlToS3Result } from './sql-to-s3.ts';
export { s3ToWarehouse } from './s3-to-warehouse.ts';
export type { S3ToWarehouseArgs } from './s3-to-warehouse.ts';
export { sqlToSql } from './sql-to-sql.ts';
export type { SqlToSqlArgs } from './sql-to-sql.ts';
export { http } from './http.ts';
export { triggerDagRun } from './trigger-dag-run.ts';
export type { TriggerDagRunArgs } from './trigger-dag-run.ts';
export type { HttpArgs, HttpResponse } from './http.ts';
export { loadHttpFixtures } from './http-fixtures.ts';
export type { HttpFixture, HttpFixtureResponse } from './http-fixtures.ts';
export { columnCheck } from './column-check.ts';
export type { CheckOutcome, ColumnCheckArgs, ColumnChecks, ColumnMeasure } from './column-check.ts';
export { tableCheck } from './table-check.ts';
export type { TableCheck, TableCheckArgs } from './table-check.ts';
export type { CheckCondition } from './check-compare.ts';
export { bindSqlTemplate } from '../template/sql-template.ts';
export type { BindOptions, BoundStatement, SqlParameters } from '../template/sql-template.ts';
export { writeCsvToS3 } from './csv-object.ts';
export type { CsvObject } from './csv-object.ts';
export type { LoadMethod, LoadResult } from './warehouse-load.ts';
export type { SqlInput } from './operator-support.ts';
export { BaseOperator } from './base-operator.ts';
export { bash } from './bash.ts';
export type { BashArgs } from './bash.ts';
export { sensor, s3KeySensor, sqlSensor, externalTaskSensor, timeDeltaSensor, dateTimeSensor } from './sensors.ts';
export type {
  DateTimeSensorArgs,
  ExternalTaskSensorArgs,
  PokeResult,
  S3KeySensorArgs,
  SensorArgs,
  SqlSensorArgs,
  TimeDeltaSensorArgs,
} from './sensors.ts';
