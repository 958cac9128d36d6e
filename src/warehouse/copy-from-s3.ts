import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { postgresCopySql, type CopyCommand } from './copy-command.ts';
import { listKeys, openObject } from '../shared/s3-transfer.ts';
import { parseS3Url, s3Url, type S3Location } from './s3-location.ts';

/** Where the stand-in reads and writes S3. */
export interface S3Access {
  s3: S3Client;
  /** The bucket `s3://_/` stands for. */
  sessionBucket: string;
  signal?: AbortSignal;
}

/** Options of {@link copyFromS3}. */
export interface CopyFromS3Options extends S3Access {
  /** Called after each chunk with the lines streamed so far (headers excluded): where fault points go. */
  onProgress?: (lines: number) => void;
}

/** What a COPY loaded. */
export interface CopyResult {
  rowCount: number;
  /** `s3://...` of every object loaded, in load order. */
  objects: string[];
}

/**
 * Carry out a Redshift COPY on a Postgres client: list the objects under the source prefix (as
 * Redshift does, every key starting with it, in key order), and stream each one (gunzipped with
 * GZIP, its first IGNOREHEADER lines dropped) into one `COPY ... FROM STDIN`. Nothing is held in
 * memory beyond a stream chunk. Runs in the client's transaction, if one is open.
 *
 * ```ts
 * const copy = parseCopy(lexSql("COPY raw_data.nps FROM 's3://_/nps.csv' CSV IGNOREHEADER 1", 'postgres'), []);
 * const { rowCount } = await copyFromS3(client, copy, { s3, sessionBucket: 'dagbox' });
 * ```
 */
export async function copyFromS3(client: ClientBase, copy: CopyCommand, options: CopyFromS3Options): Promise<CopyResult> {
  const prefix = parseS3Url(copy.source, options.sessionBucket);
  const keys = await listKeys(options.s3, prefix, options.signal);
  if (keys.length === 0) {
    throw new Error(
      `COPY ${copy.target}: no object in ${s3Url(prefix)} (COPY loads every object whose key starts with the given prefix); ` +
        'check the key, and that the task that writes it ran first.',
    );
  }
  const allColumns = copy.emptyAsNull && !copy.columns ? await tableColumns(client, copy.target) : null;
  const objects = keys.map((key) => ({ bucket: prefix.bucket, key }));
  const sink = client.query(copyFrom(postgresCopySql(copy, allColumns)));
  try {
    await pipeline(Readable.from(objectBodies(objects, copy, options)), sink);
  } catch (error) {
    throw copyError(error, copy, objects);
  }
  return { rowCount: sink.rowCount, objects: objects.map(s3Url) };
}

/** The objects' bytes, one after the other, headers dropped, each ending in a newline. */
async function* objectBodies(objects: S3Location[], copy: CopyCommand, options: CopyFromS3Options): AsyncGenerator<Buffer> {
  let lines = 0;
  for (const location of objects) {
    const raw = await openObject(options.s3, location, options.signal);
    const body: AsyncIterable<Buffer> = copy.gzip ? raw.pipe(createGunzip()) : raw;
    let skip = copy.ignoreHeader;
    let last = 0x0a;
    for await (let chunk of body) {
      while (skip > 0 && chunk.length > 0) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          chunk = chunk.subarray(chunk.length);
          break;
        }
        chunk = chunk.subarray(nl + 1);
        skip--;
      }
      if (chunk.length === 0) continue;
      last = chunk[chunk.length - 1]!;
      lines += countNewlines(chunk);
      yield chunk;
      options.onProgress?.(lines);
    }
    if (last !== 0x0a) {
      lines++;
      yield Buffer.from('\n');
    }
  }
}

function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) n++;
  return n;
}

async function tableColumns(client: ClientBase, table: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    'SELECT quote_ident(attname) AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [table],
  );
  return result.rows.map((r) => r.name);
}

/** A COPY failure as a sentence naming the table, the objects and Postgres's own account of the bad line. */
function copyError(error: unknown, copy: CopyCommand, objects: S3Location[]): Error {
  const e = error as Error & { where?: string; detail?: string };
  const from = objects.length === 1 ? s3Url(objects[0]!) : `${objects.length} objects under ${copy.source}`;
  const where = e.where ? ` (${e.where}${copy.ignoreHeader ? `; line numbers count from after the ${copy.ignoreHeader} header line(s) of each object` : ''})` : '';
  const detail = e.detail ? ` ${e.detail}` : '';
  return new Error(`COPY ${copy.target} from ${from} failed: ${e.message}${where}.${detail} Nothing was loaded by this COPY; fix the data or the COPY options.`, { cause: error });
}
