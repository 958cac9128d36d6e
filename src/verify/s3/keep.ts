import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { copyObject, createBucket, emptyAndDeleteBucket, isNoSuchBucket } from '../../shared/s3-objects.ts';
import type { ObjectFingerprint } from '../types.ts';

/** Objects larger than this are not read for a line diff. */
export const LINE_DIFF_MAX_BYTES = 1 << 20;

/** Copy an object into the keep bucket (server-side), creating the bucket on first use. */
export async function keepObject(client: S3Client, keepBucket: string, name: string, from: ObjectFingerprint): Promise<void> {
  try {
    await copyObject(client, { bucket: from.bucket, key: from.key }, { bucket: keepBucket, key: name });
  } catch (error) {
    if (!isNoSuchBucket(error)) throw error;
    await createBucket(client, keepBucket);
    await copyObject(client, { bucket: from.bucket, key: from.key }, { bucket: keepBucket, key: name });
  }
}

/** An object's bytes as UTF-8 text, or null when it is missing, too large or not text. */
export async function readText(client: S3Client, bucket: string, key: string, size: number): Promise<string | null> {
  if (size > LINE_DIFF_MAX_BYTES) return null;
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    if (bytes.includes(0)) return null;
    return bytes.toString('utf8');
  } catch {
    return null;
  }
}

/** Remove the keep bucket and its objects. */
export async function dropKeepBucket(client: S3Client, keepBucket: string): Promise<void> {
  await emptyAndDeleteBucket(client, keepBucket);
}
