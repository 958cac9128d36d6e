import type { ClientBase } from 'pg';
import type { Dataset, Operator, TaskContext } from '../dag/types.ts';
import { quotePgIdent } from '../sql/identifiers.ts';
import { parseCopy } from '../warehouse/copy-command.ts';
import { copyFromS3 } from '../warehouse/copy-from-s3.ts';
import { lexSql } from '../sql/sql-lexer.ts';
import { s3Url } from '../warehouse/s3-location.ts';
import { fieldWhere, resolveBucket } from './operator-support.ts';
import { withSqlTarget } from './sql-target.ts';
import { loadPostgresTable, type LoadMethod, type LoadResult } from './warehouse-load.ts';

/** Arguments of {@link s3ToWarehouse} (Airflow's S3ToRedshiftOperator). */
export interface S3ToWarehouseArgs {
  /** Bucket; default (or `_`) the session's bucket. */
  s3Bucket?: string;
  /** Key or key prefix, templated: every object whose key starts with it is loaded, as Redshift COPY does. */
  s3Key: string;
  schema: string;
  table: string;
  /** Connection id of the warehouse; default `redshift`. */
  redshiftConnId?: string;
  /** Columns the file fills, in file order; default all, in table order. */
  columnList?: string[];
  /**
   * Redshift COPY options, as in Airflow: `['CSV', 'IGNOREHEADER 1']`, `["DELIMITER ','", "NULL AS 'NULL'"]`.
   * Default none (Redshift's pipe-delimited text). An option the stand-in does not carry out is an error naming it.
   */
  copyOptions?: string[];
  /** REPLACE (delete all, then load), APPEND (default, as Airflow) or UPSERT. */
  method?: LoadMethod;
  /** UPSERT keys; default the table's primary key. */
  upsertKeys?: string[];
  /** UPSERT: keep the newest row per key by this column when the file repeats a key; without it a repeated key is an error. */
  upsertOrderBy?: string;
}

/**
 * Airflow's S3ToRedshiftOperator: load an S3 object into a warehouse table with Redshift's COPY
 * (streamed from S3 into Postgres COPY FROM STDIN), atomically: REPLACE empties the table and COPYs in
 * one transaction, UPSERT stages the rows in a temporary table and swaps them in with DELETE USING +
 * INSERT in the same transaction (see {@link loadPostgresTable}). A failed load leaves the table
 * exactly as it was.
 *
 * ```ts
 * dag.task('load', s3ToWarehouse({
 *   s3Key: 'nps/{{ ds }}.csv', schema: 'raw_data', table: 'nps',
 *   copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'UPSERT', upsertKeys: ['id'],
 * }));
 * ```
 */
export function s3ToWarehouse(args: S3ToWarehouseArgs): Operator<S3ToWarehouseArgs> {
  return {
    kind: 's3ToWarehouse',
    args,
    templateFields: ['s3Bucket', 's3Key', 'schema', 'table', 'columnList', 'copyOptions'],
    inputs: [`s3://${args.s3Bucket ?? '_'}/${args.s3Key}`],
    outputs: [`${args.schema}.${args.table}` as Dataset],
    execute: (ctx, rendered) => runS3ToWarehouse(ctx, rendered),
  };
}

async function runS3ToWarehouse(ctx: TaskContext, args: S3ToWarehouseArgs): Promise<LoadResult & { source: string }> {
  const source = s3Url({ bucket: resolveBucket(ctx, args.s3Bucket), key: args.s3Key });
  return withSqlTarget(ctx, args.redshiftConnId ?? 'redshift', async (target) => {
    if (target.dialect !== 'postgres') {
      throw new Error(`${fieldWhere(ctx, 'redshiftConnId')}: connection "${target.connId}" is MySQL; S3ToWarehouse loads into the warehouse (redshift or postgres)`);
    }
    const columns = args.columnList?.length ? ` (${args.columnList.map(quotePgIdent).join(', ')})` : '';
    const options = (args.copyOptions ?? []).join(' ');
    const copy = async (client: ClientBase, table: string) => {
      // The same reader as a COPY statement sent to ctx.warehouse(): options are checked, never passed through as SQL.
      const command = parseCopy(lexSql(`COPY ${table}${columns} FROM $1 ${options}`, 'postgres'), [source]);
      const result = await copyFromS3(client, command, {
        s3: ctx.s3(),
        sessionBucket: ctx.bucket,
        signal: ctx.signal,
        onProgress: (rows) => ctx.faultPoint('copy', { rows }),
      });
      return result.rowCount;
    };
    const client = await target.pool.connect();
    try {
      const result = await loadPostgresTable(client, {
        table: { schema: args.schema, table: args.table },
        method: args.method ?? 'APPEND',
        upsertKeys: args.upsertKeys,
        upsertOrderBy: args.upsertOrderBy,
        copy,
        faultPoint: (site, detail) => ctx.faultPoint(site, detail),
        log: (line) => ctx.log.info(line),
      });
      client.release();
      return { ...result, source };
    } catch (error) {
      client.release(true);
      throw new Error(`loading ${source} into ${args.schema}.${args.table} failed, and the table was left as it was: ${(error as Error).message}`, { cause: error });
    }
  });
}
