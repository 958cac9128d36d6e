import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { mapLimit } from './map-limit.ts';

/** An object as a listing shows it. */
export interface ObjectEntry {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

/** Where an object lives. */
export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

/** How many S3 requests run at once. */
export const S3_CONCURRENCY = 16;

/** True for the error S3 gives for a bucket that does not exist. */
export function isNoSuchBucket(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchBucket' || (e?.name === 'NotFound' && e.$metadata?.httpStatusCode === 404);
}

/** Every object of `bucket` (all pages), or null when the bucket does not exist. */
export async function listObjects(client: S3Client, bucket: string): Promise<ObjectEntry[] | null> {
  const objects: ObjectEntry[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    } catch (error) {
      if (isNoSuchBucket(error)) return null;
      throw error;
    }
    for (const o of page.Contents ?? []) objects.push({ key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

/** Create a bucket. */
export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Delete every object of `bucket`, then the bucket; no error if it does not exist. */
export async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  const objects = await listObjects(client, bucket);
  if (objects === null) return;
  await deleteKeys(client, bucket, objects.map((o) => o.key));
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/**
 * Keys that s3rver's XML parser (fast-xml-parser 3) would read as a number or boolean, or trim,
 * making its DeleteObjects fail with InternalError; they are deleted one request each.
 */
const UNSAFE_IN_XML = /^\s|\s$|^(true|false|[-+]?(0x[0-9a-f]+|\d*\.?\d+(e[-+]?\d+)?))$/i;

/** Delete `keys` from `bucket`, 1,000 per request; fails if S3 reports any key it could not delete. */
export async function deleteKeys(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  const single = keys.filter((k) => UNSAFE_IN_XML.test(k));
  await mapLimit(single, S3_CONCURRENCY, (Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key })));
  const batched = keys.filter((k) => !UNSAFE_IN_XML.test(k));
  for (let i = 0; i < batched.length; i += 1000) {
    const chunk = batched.slice(i, i + 1000);
    const result = await client.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = result.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0]!;
      throw new Error(
        `expected to delete ${chunk.length} object(s) from bucket "${bucket}", but ${failed.length} failed, ` +
          `first "${first.Key}": ${first.Code} ${first.Message}. Check the S3 credentials' permissions.`,
      );
    }
  }
}

/**
 * Copy one object (content, content type and user metadata). Server-side CopyObject where the key
 * allows; keys with URI-reserved characters go through GET + PUT, because s3rver decodes the copy
 * source with decodeURI and so cannot find them (AWS and MinIO need them percent-encoded).
 */
export async function copyObject(client: S3Client, from: ObjectLocation, to: ObjectLocation): Promise<void> {
  if (/[;,?:@&=+$#]/.test(from.key)) {
    await copyThroughClient(client, from, to);
    return;
  }
  const source = `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`;
  await client.send(new CopyObjectCommand({ Bucket: to.bucket, Key: to.key, CopySource: source }));
}

async function copyThroughClient(client: S3Client, from: ObjectLocation, to: ObjectLocation): Promise<void> {
  const got = await client.send(new GetObjectCommand({ Bucket: from.bucket, Key: from.key }));
  await client.send(
    new PutObjectCommand({
      Bucket: to.bucket,
      Key: to.key,
      Body: got.Body as Readable,
      ContentLength: got.ContentLength,
      ContentType: got.ContentType,
      ContentEncoding: got.ContentEncoding,
      ContentDisposition: got.ContentDisposition,
      CacheControl: got.CacheControl,
      Metadata: got.Metadata,
    }),
  );
}
