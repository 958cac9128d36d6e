import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../../shared/s3-objects.ts';
import { OWN_BUCKET_PREFIX } from '../db.ts';
import type { TableSettings } from '../settings.ts';
import type { ObjectFingerprint } from '../types.ts';

/**
 * Every object of the session's buckets as the store lists it: key, size and ETag (the store's
 * content hash: an MD5 of the bytes for single-part uploads). No object is downloaded.
 */
export async function fingerprintS3(client: S3Client, buckets: readonly string[], settings: TableSettings): Promise<ObjectFingerprint[]> {
  const lists = await Promise.all(
    buckets.filter((b) => !b.startsWith(OWN_BUCKET_PREFIX)).map(async (bucket) => ({ bucket, objects: (await listObjects(client, bucket)) ?? [] })),
  );
  return lists.flatMap(({ bucket, objects }) =>
    objects.filter((o) => !settings.excludesObject(bucket, o.key)).map((o) => ({ bucket, key: o.key, size: o.size, etag: o.etag })),
  );
}

/** `s3://bucket/key` */
export function objectName(o: { bucket: string; key: string }): string {
  return `s3://${o.bucket}/${o.key}`;
}
