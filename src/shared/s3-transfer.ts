import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { ObjectLocation as S3Location } from './s3-objects.ts';

/** Multipart part size: S3's minimum, so an upload holds at most `UPLOAD_QUEUE` parts of it in memory. */
export const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
export const UPLOAD_QUEUE = 4;

/**
 * The keys under `prefix` in key order, paging with StartAfter (which every S3-compatible
 * server answers the same way, unlike continuation tokens).
 */
export async function listKeys(s3: S3Client, location: S3Location, signal?: AbortSignal): Promise<string[]> {
  const keys: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.key, StartAfter: startAfter, MaxKeys: 1000 }), { abortSignal: signal });
    const found = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
    keys.push(...found);
    if (!page.IsTruncated || found.length === 0) return keys.sort();
    startAfter = found[found.length - 1];
  }
}

/** The object's body as a stream. */
export async function openObject(s3: S3Client, location: S3Location, signal?: AbortSignal): Promise<Readable> {
  const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), { abortSignal: signal });
  return response.Body as Readable;
}

/**
 * Stream `body` to the object as a multipart upload (one PutObject when it is small). Nothing is
 * visible at the key until the upload completes; on failure the parts are discarded and an object
 * already at the key is left as it was.
 */
export async function uploadStream(s3: S3Client, location: S3Location, body: Readable, contentType = 'text/csv', signal?: AbortSignal): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: location.bucket, Key: location.key, Body: body, ContentType: contentType },
    partSize: UPLOAD_PART_BYTES,
    queueSize: UPLOAD_QUEUE,
    leavePartsOnError: false,
  });
  const abort = () => void upload.abort().catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  // A failing source must fail the upload; lib-storage only reads the stream.
  const failed = new Promise<never>((_, reject) => body.once('error', reject));
  failed.catch(() => {});
  const done = upload.done();
  done.catch(() => {});
  try {
    await Promise.race([done, failed]);
  } catch (error) {
    abort();
    throw error;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
