import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ClientBase } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { S3Access } from './copy-from-s3.ts';
import { deleteKeys } from '../shared/s3-objects.ts';
import { listKeys, uploadStream } from '../shared/s3-transfer.ts';
import { parseS3Url, s3Url } from './s3-location.ts';
import { postgresUnloadSql, unloadKey, type UnloadCommand } from './unload-command.ts';

/** What an UNLOAD wrote. */
export interface UnloadResult {
  rowCount: number;
  /** `s3://...` of the file written. */
  object: string;
}

/**
 * Carry out a Redshift UNLOAD on a Postgres client: `COPY (query) TO STDOUT` streamed into a
 * multipart upload at Redshift's file name for one slice (see {@link unloadKey}). As in Redshift,
 * objects already under the prefix are an error unless ALLOWOVERWRITE (or CLEANPATH, which
 * deletes them first). `query` is the UNLOAD's query already translated to Postgres.
 */
export async function unloadToS3(client: ClientBase, unload: UnloadCommand, query: string, access: S3Access): Promise<UnloadResult> {
  const prefix = parseS3Url(unload.target, access.sessionBucket);
  const location = { bucket: prefix.bucket, key: unloadKey(unload, prefix.key) };
  const existing = await listKeys(access.s3, prefix, access.signal);
  if (existing.length > 0 && unload.cleanPath) await deleteKeys(access.s3, prefix.bucket, existing);
  else if (existing.length > 0 && !unload.allowOverwrite) {
    throw new Error(
      `UNLOAD: ${s3Url(prefix)} already holds ${existing.length} object(s) (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', ...' : ''}); ` +
        'add ALLOWOVERWRITE to replace them, CLEANPATH to delete them first, or unload to another prefix.',
    );
  }
  const source = client.query(copyTo(postgresUnloadSql(unload, query)));
  const body = new PassThrough();
  const feeding = unload.gzip ? pipeline(source, createGzip(), body) : pipeline(source, body);
  feeding.catch(() => {});
  try {
    await Promise.all([uploadStream(access.s3, location, body, unload.format === 'csv' ? 'text/csv' : 'text/plain', access.signal), feeding]);
  } catch (error) {
    source.destroy();
    throw new Error(`UNLOAD to ${s3Url(location)} failed: ${(error as Error).message}. Nothing was written there.`, { cause: error });
  }
  return { rowCount: source.rowCount, object: s3Url(location) };
}
