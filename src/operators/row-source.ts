import type { FieldPacket } from 'mysql2/promise';
import type { Readable } from 'node:stream';
import type { BoundStatement } from '../template/sql-template.ts';
import { mysqlStream, type RowSink } from './mysql-exec.ts';
import { pgStream, type PgColumn } from './pg-exec.ts';
import type { SqlTarget } from './sql-target.ts';

/**
 * What a source column holds, where it matters on the way to another database:
 * `binary` are MySQL bytes, the `pg-*` kinds are Postgres text that MySQL would not read as is.
 */
export type ColumnKind = 'text' | 'binary' | 'pg-bool' | 'pg-timestamptz' | 'pg-bytea';

/** A column of a source query. */
export interface SourceColumn {
  name: string;
  kind: ColumnKind;
}

/** A query's rows as arrays of text (string or the server's bytes) and nulls. */
export interface RowSource {
  readonly columns: SourceColumn[];
  /** The rows as an object-mode stream. Use it or `pump`, once. */
  rows(): Readable;
  /** Feed the rows to `sink` with backpressure and no per-row stream machinery; resolves at the end. */
  pump(sink: RowSink): Promise<void>;
  /** Give the connection back (closed instead when `error` is given: it may be mid-result). */
  close(error?: unknown): Promise<void>;
}

/** MySQL column types whose values are bytes when their character set is `binary` (63). */
const MYSQL_BYTE_TYPES = new Set([15, 16, 249, 250, 251, 252, 253, 254, 255]);
const PG_KINDS: Record<number, ColumnKind> = { 16: 'pg-bool', 1184: 'pg-timestamptz', 17: 'pg-bytea' };

/**
 * Open a streaming read of one bound statement: MySQL streams its result (the connection pauses
 * when the reader falls behind); Postgres reads from a cursor in batches. Values are exact text:
 * what the server printed, never a JavaScript number or Date.
 */
export async function openRowSource(target: SqlTarget, statement: BoundStatement): Promise<RowSource> {
  if (target.dialect === 'mysql') {
    const conn = await target.pool.getConnection();
    try {
      // TIMESTAMP values print in the session's time zone: read them in UTC, as the warehouse keeps them.
      await conn.query("SET @dgbx_tz = @@session.time_zone, time_zone = '+00:00'");
      const { fields, result, finish } = await mysqlStream(conn, statement.text, statement.values);
      return {
        columns: fields.map(mysqlColumn),
        rows: () => result.stream(),
        pump: (sink) => result.pump(sink),
        async close(error) {
          if (error !== undefined) return conn.destroy();
          await finish();
          await conn.query('SET time_zone = @dgbx_tz');
          conn.release();
        },
      };
    } catch (error) {
      conn.destroy();
      throw error;
    }
  }
  const client = await target.pool.connect();
  try {
    const { fields, rows } = await pgStream(client, statement.text, statement.values);
    return {
      columns: fields.map(pgColumn),
      rows: () => rows,
      async pump(sink) {
        for await (const row of rows) if (!sink.add(row as (Buffer | null)[])) await sink.waitForReader();
      },
      async close(error) {
        client.release(error === undefined ? undefined : true);
      },
    };
  } catch (error) {
    client.release(true);
    throw error;
  }
}

function mysqlColumn(field: FieldPacket): SourceColumn {
  const bytes = field.characterSet === 63 && MYSQL_BYTE_TYPES.has(field.columnType ?? 0);
  return { name: field.name, kind: bytes ? 'binary' : 'text' };
}

function pgColumn(field: PgColumn): SourceColumn {
  return { name: field.name, kind: PG_KINDS[field.dataTypeID] ?? 'text' };
}
