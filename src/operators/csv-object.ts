import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TaskContext } from '../dag/types.ts';
import { uploadStream } from '../shared/s3-transfer.ts';
import { s3Url } from '../warehouse/s3-location.ts';
import { CsvEncoder, type Cell } from './csv-encoder.ts';
import { resolveBucket } from './operator-support.ts';

/** What {@link writeCsvToS3} writes. */
export interface CsvObject {
  /** Default (or `_`): the session bucket. */
  bucket?: string;
  key: string;
  columns: string[];
  /** Rows as arrays of values, in column order; an iterable or async iterable, consumed once. */
  rows: Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]>;
  /** Write the column names first (default true). */
  header?: boolean;
}

/**
 * Write rows computed in a task (say, from an API response) to S3 as CSV, streamed, in the same
 * CSV dialect as sqlToS3: NULL (null/undefined) is an empty field and `''` is `""`. Dates are
 * written as UTC `YYYY-MM-DD HH:MM:SS.mmm`, booleans as true/false, objects as JSON. Returns
 * the object's location and row count, for XCom.
 *
 * ```ts
 * dag.task('transform', async (ctx) => writeCsvToS3(ctx, {
 *   key: `weather/${ctx.ds}.csv`, columns: ['date', 'temp'], rows: days.map((d) => [d.date, d.temp]),
 * }));
 * ```
 */
export async function writeCsvToS3(ctx: TaskContext, object: CsvObject): Promise<{ bucket: string; key: string; rows: number }> {
  const location = { bucket: resolveBucket(ctx, object.bucket), key: object.key };
  const encoder = new CsvEncoder({ columns: object.columns, header: object.header ?? true, onChunk: (rows) => ctx.faultPoint('extract', { rows }) });
  const source = Readable.from(cells(object.rows, object.columns.length), { objectMode: true });
  await Promise.all([pipeline(source, encoder), uploadStream(ctx.s3(), location, encoder, 'text/csv', ctx.signal)]);
  ctx.log.info(`wrote ${encoder.rows} row(s) to ${s3Url(location)}`);
  return { ...location, rows: encoder.rows };
}

async function* cells(rows: CsvObject['rows'], width: number): AsyncGenerator<Cell[]> {
  let n = 0;
  for await (const row of rows) {
    n++;
    if (row.length !== width) throw new Error(`row ${n} has ${row.length} value(s), but there are ${width} column(s); give one value per column`);
    yield row.map(cell);
  }
}

function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
