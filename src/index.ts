/**
 * dagbox: write Airflow-style DAGs in TypeScript, run and verify them locally.
 *
 * ```ts
 * import { Dag } from 'dagbox';
 * const dag = new Dag({ id: 'hello', schedule: '@daily', startDate: '2021-02-05' });
 * dag.task('say', (ctx) => ctx.log.info(`hello ${ctx.ds}`));
 * export default dag;
 * ```
 *
 * src/index.ts is the public `dagbox` entry that DAG files import.
 *
 * May import: anything below app/ (never app/, cli/, dev/ or testing/) (the layers are checked by
 * .dependency-cruiser.cjs).
 */
export { Dag, Task, TaskGroup, XComArg, chain, isDag } from './dag/dag.ts';
export type { ExpandInputs, Inputs, Node, NodeLike, ShortCircuitOptions, TaskControl } from './dag/dag.ts';
export { SkipError, FailError, SensorTimeoutError, AirflowSkipException, AirflowFailException, AirflowSensorTimeout } from './dag/errors.ts';
export type * from './dag/types.ts';
export { loadDags, loadDagFile, formatLoadError } from './dag/loader.ts';
export { param, Param } from './dag/params.ts';
export type { ParamSchema, ParamType } from './dag/params.ts';
export type { DagBag, LoadedDag, DagLoadError } from './dag/loader.ts';
export { defineConfig } from './config/config.ts';
export type { DagboxConfig } from './config/config.ts';
export { parseConnection } from './config/connection.ts';
export type { Connection } from './config/connection.ts';
export {
  sql, sqlToS3, s3ToWarehouse, sqlToSql, http, triggerDagRun, columnCheck, tableCheck, bindSqlTemplate, writeCsvToS3, loadHttpFixtures,
  BaseOperator, bash, sensor, s3KeySensor, sqlSensor, externalTaskSensor, timeDeltaSensor, dateTimeSensor,
} from './operators/index.ts';
export type * from './operators/index.ts';
export { slackAlert, startWebhookSink } from './alerts/index.ts';
export type { SlackAlertOptions, WebhookMessage, WebhookSink } from './alerts/index.ts';
export { createWarehouse } from './warehouse/index.ts';
export type { WarehouseOptions } from './warehouse/index.ts';
