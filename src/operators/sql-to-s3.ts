import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Dataset, Operator, TaskContext } from '../dag/types.ts';
import { uploadStream } from '../shared/s3-transfer.ts';
import { s3Url, type S3Location } from '../warehouse/s3-location.ts';
import { CsvReadable } from './csv-encoder.ts';
import { bindForTask, resolveBucket, singleStatement } from './operator-support.ts';
import { openRowSource } from './row-source.ts';
import type { SqlParameters } from '../template/sql-template.ts';
import { withSqlTarget } from './sql-target.ts';

/** Arguments of {@link sqlToS3} (Airflow's SqlToS3Operator). */
export interface SqlToS3Args {
  /** One SELECT, templated; quoted template values are bound (see {@link bindSqlTemplate}). */
  query: string;
  /** Connection id: `mysql` (default), `postgres`, `redshift`, or one of yours. */
  sqlConnId?: string;
  /** Bucket; default (or `_`) the session's bucket. */
  s3Bucket?: string;
  /** Key, templated: `nps/{{ ds }}.csv`. */
  s3Key: string;
  /** Overwrite an existing object. Without it, an existing object is an error (Airflow's `replace=False`). */
  replace?: boolean;
  /** Write the column names as the first line (default true). */
  header?: boolean;
  /** Field delimiter (default `,`). */
  delimiter?: string;
  /** Values for the query's own placeholders (`?` / `$1`, or `:name` with an object); templated. */
  parameters?: SqlParameters;
  /** Tables the query reads, for lineage (`prod.nps`). */
  inputs?: Dataset[];
}

/** What {@link sqlToS3} pushes to XCom. */
export interface SqlToS3Result {
  bucket: string;
  key: string;
  rows: number;
  columns: string[];
}

/**
 * Airflow's SqlToS3Operator: run a query and stream its result as CSV to an S3 object, end to end
 * (rows as they come off the wire -> CSV chunks -> multipart upload, the connection pausing when
 * S3 is behind), so memory stays flat whatever the size. CSV keeps NULL (empty) apart from the empty string (`""`), and values are the database's
 * exact text (DECIMAL, BIGINT, DATETIME untouched). The object appears only when the upload
 * completes: a failure leaves the key as it was.
 *
 * ```ts
 * dag.task('extract', sqlToS3({
 *   query: "SELECT * FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}')",
 *   s3Key: 'nps/{{ ds }}.csv',
 *   replace: true,
 * }));
 * ```
 */
export function sqlToS3(args: SqlToS3Args): Operator<SqlToS3Args> {
  return {
    kind: 'sqlToS3',
    args,
    templateFields: ['query', 's3Key', 's3Bucket', 'parameters'],
    sqlFields: { query: 'sqlConnId' },
    inputs: args.inputs,
    outputs: [`s3://${args.s3Bucket ?? '_'}/${args.s3Key}`],
    execute: (ctx, rendered) => runSqlToS3(ctx, { ...rendered, query: args.query }),
  };
}

async function runSqlToS3(ctx: TaskContext, args: SqlToS3Args): Promise<SqlToS3Result> {
  const location: S3Location = { bucket: resolveBucket(ctx, args.s3Bucket), key: args.s3Key };
  if (!args.replace && (await objectExists(ctx, location))) {
    throw new Error(`${s3Url(location)} already exists and replace is false; pass replace: true to overwrite it, or write to another key (e.g. one per {{ ds }})`);
  }
  return withSqlTarget(ctx, args.sqlConnId ?? 'mysql', async (target) => {
    const statement = singleStatement(bindForTask(ctx, args.query, target.dialect, args.parameters, 'query'), ctx, 'query');
    const source = await openRowSource(target, statement);
    const columns = source.columns.map((c) => c.name);
    const csv = new CsvReadable({
      columns,
      header: args.header ?? true,
      delimiter: args.delimiter,
      binary: source.columns.map((c) => c.kind === 'binary'),
      onChunk: (rows) => ctx.faultPoint('extract', { rows }),
    });
    try {
      const feeding = source.pump(csv).then(() => csv.finish());
      await Promise.all([feeding, uploadStream(ctx.s3(), location, csv, 'text/csv', ctx.signal)]);
    } catch (error) {
      csv.destroy();
      await source.close(error);
      throw new Error(`writing ${s3Url(location)} failed after ${csv.rows} row(s): ${(error as Error).message}. The object was not written (an existing one is unchanged).`, { cause: error });
    }
    await source.close();
    ctx.log.info(`wrote ${csv.rows} row(s) to ${s3Url(location)}`);
    return { bucket: location.bucket, key: location.key, rows: csv.rows, columns };
  });
}

async function objectExists(ctx: TaskContext, location: S3Location): Promise<boolean> {
  try {
    await ctx.s3().send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return false;
    throw error;
  }
}
