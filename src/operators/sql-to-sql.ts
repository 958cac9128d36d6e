import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Dataset, Operator, TaskContext } from '../dag/types.ts';
import { quotePgIdent } from '../sql/identifiers.ts';
import { CsvEncoder } from './csv-encoder.ts';
import { loadMysqlTable } from './mysql-load.ts';
import { bindForTask, fieldWhere, singleStatement, splitTableName } from './operator-support.ts';
import { openRowSource, type SourceColumn } from './row-source.ts';
import type { SqlParameters } from '../template/sql-template.ts';
import { withSqlTarget, type SqlTarget } from './sql-target.ts';
import { loadPostgresTable, type LoadMethod, type LoadResult } from './warehouse-load.ts';

/** Arguments of {@link sqlToSql} (Airflow's GenericTransfer). */
export interface SqlToSqlArgs {
  /** Connection the rows come from: `mysql`, `postgres`, `redshift` or one of yours. */
  sourceConnId: string;
  /** One SELECT, templated; quoted template values are bound. Column names must match the destination's. */
  sql: string;
  /** Values for the query's own placeholders; templated. */
  parameters?: SqlParameters;
  /** Connection the rows go to. */
  destinationConnId: string;
  /** `schema.table` (MySQL: `database.table`); templated. */
  destinationTable: string;
  /** REPLACE, APPEND (default, as GenericTransfer) or UPSERT. */
  method?: LoadMethod;
  /** UPSERT keys; default the destination's primary key. */
  upsertKeys?: string[];
  /** UPSERT into the warehouse: keep the newest row per repeated key by this column. */
  upsertOrderBy?: string;
  /** Tables the query reads, for lineage. */
  inputs?: Dataset[];
}

/**
 * Airflow's GenericTransfer for production-data jobs: stream a query's rows from one database into
 * a table of another (warehouse -> MySQL, MySQL -> warehouse, or within one), with REPLACE, APPEND
 * or UPSERT in one destination transaction. Into Postgres the rows go through COPY FROM STDIN,
 * into MySQL as batched INSERTs with bound values. The source is read as exact text, so values
 * round-trip (see {@link loadMysqlTable} for the Postgres -> MySQL adaptations).
 *
 * ```ts
 * dag.task('summary_to_mysql', sqlToSql({
 *   sourceConnId: 'redshift', sql: 'SELECT * FROM analytics.course_summary',
 *   destinationConnId: 'mysql', destinationTable: 'prod.course_summary', method: 'REPLACE',
 * }));
 * ```
 */
export function sqlToSql(args: SqlToSqlArgs): Operator<SqlToSqlArgs> {
  return {
    kind: 'sqlToSql',
    args,
    templateFields: ['sql', 'parameters', 'destinationTable'],
    sqlFields: { sql: 'sourceConnId' },
    inputs: args.inputs,
    outputs: [args.destinationTable],
    execute: (ctx, rendered) => runSqlToSql(ctx, { ...rendered, sql: args.sql }),
  };
}

async function runSqlToSql(ctx: TaskContext, args: SqlToSqlArgs): Promise<LoadResult> {
  return withSqlTarget(ctx, args.sourceConnId, (from) =>
    withSqlTarget(ctx, args.destinationConnId, async (to) => {
      const statement = singleStatement(bindForTask(ctx, args.sql, from.dialect, args.parameters, 'sql'), ctx, 'sql');
      const source = await openRowSource(from, statement);
      const rows = source.rows();
      try {
        const result = await load(ctx, to, args, source.columns, rows);
        await source.close();
        return result;
      } catch (error) {
        rows.destroy();
        await source.close(error);
        throw new Error(`moving rows into ${args.destinationTable} failed, and the table was left as it was: ${(error as Error).message}`, { cause: error });
      }
    }),
  );
}

async function load(ctx: TaskContext, to: SqlTarget, args: SqlToSqlArgs, columns: SourceColumn[], rows: Readable): Promise<LoadResult> {
  const where = fieldWhere(ctx, 'destinationTable');
  const common = { method: args.method ?? 'APPEND', upsertKeys: args.upsertKeys, faultPoint: (site: string, d?: { rows?: number }) => ctx.faultPoint(site, d), log: (l: string) => ctx.log.info(l) };
  if (to.dialect === 'mysql') {
    const { schema, table } = splitTableName(args.destinationTable, null, where);
    if (args.upsertOrderBy) throw new Error(`${fieldWhere(ctx, 'upsertOrderBy')}: upsertOrderBy works for warehouse destinations only; dedupe the source query for MySQL`);
    const conn = await to.pool.getConnection();
    try {
      const result = await loadMysqlTable(conn, { ...common, schema, table, columns, rows });
      conn.release();
      return result;
    } catch (error) {
      conn.destroy();
      throw error;
    }
  }
  const target = splitTableName(args.destinationTable, null, where);
  const list = columns.map((c) => quotePgIdent(c.name)).join(', ');
  const copy = async (client: ClientBase, table: string) => {
    const sink = client.query(copyFrom(`COPY ${table} (${list}) FROM STDIN WITH (FORMAT csv)`));
    const encoder = new CsvEncoder({ columns: [], header: false, binary: columns.map((c) => c.kind === 'binary'), onChunk: (n) => ctx.faultPoint('copy', { rows: n }) });
    await pipeline(rows, encoder, sink);
    return sink.rowCount;
  };
  const client = await to.pool.connect();
  try {
    const result = await loadPostgresTable(client, { ...common, table: target, upsertOrderBy: args.upsertOrderBy, copy });
    client.release();
    return result;
  } catch (error) {
    client.release(true);
    throw error;
  }
}
