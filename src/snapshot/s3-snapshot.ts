import type { S3Client } from '@aws-sdk/client-s3';
import { shortId, slug } from '../sql/identifiers.ts';
import {
  S3_CONCURRENCY,
  copyObject,
  createBucket,
  deleteKeys,
  emptyAndDeleteBucket,
  listObjects,
  type ObjectEntry,
} from '../shared/s3-objects.ts';
import { mapLimit } from '../shared/map-limit.ts';
import { s3Scope, type S3Clients } from './service-clients.ts';

/** One bucket as it was at the snapshot. */
export interface S3BucketState {
  readonly bucket: string;
  /** False when the bucket did not exist at the snapshot: restore deletes it. */
  readonly existed: boolean;
  /** Key → ETag and size at the snapshot. */
  readonly objects: ReadonlyMap<string, ObjectEntry>;
  /** Prefix of this bucket's copies in the store bucket (`<n>/`). */
  readonly prefix: string;
}

/**
 * An S3 snapshot: every object of the covered buckets copied into a store bucket
 * (`dgbx-snap-<id>-<name>`, a bucket of its own so the session's listings never show the copies),
 * plus the key → ETag/size map used to restore only what changed.
 */
export interface S3Snapshot {
  readonly store: string;
  readonly buckets: readonly S3BucketState[];
}

/** Copy every object of the session's buckets ({@link s3Scope}) into a new store bucket. */
export async function snapshotS3(s3: S3Clients, name: string): Promise<S3Snapshot> {
  const store = `dgbx-snap-${shortId()}-${slug(name, 30, '-') || 'snapshot'}`;
  await createBucket(s3.client, store);
  try {
    const buckets = [];
    for (const [index, bucket] of s3Scope(s3).entries()) buckets.push(await snapshotBucket(s3.client, store, bucket, `${index}/`));
    return { store, buckets };
  } catch (error) {
    await emptyAndDeleteBucket(s3.client, store).catch(() => {});
    throw error;
  }
}

/**
 * Put every covered bucket back as it was: objects created since are deleted, deleted or changed
 * ones (by ETag or size) copied back from the store, buckets created since deleted and buckets
 * deleted since re-created. An object rewritten with identical content but other metadata is not
 * detected.
 */
export async function restoreS3(s3: S3Clients, snap: S3Snapshot): Promise<void> {
  await Promise.all(snap.buckets.map((state) => restoreBucket(s3.client, snap.store, state)));
}

/** Delete the store bucket and its copies (no error if it is already gone). */
export async function dropS3Snapshot(s3: S3Clients, snap: S3Snapshot): Promise<void> {
  await emptyAndDeleteBucket(s3.client, snap.store);
}

async function snapshotBucket(client: S3Client, store: string, bucket: string, prefix: string): Promise<S3BucketState> {
  const objects = await listObjects(client, bucket);
  if (objects === null) return { bucket, existed: false, objects: new Map(), prefix };
  await mapLimit(objects, S3_CONCURRENCY, (o) => copyObject(client, { bucket, key: o.key }, { bucket: store, key: prefix + o.key }));
  return { bucket, existed: true, objects: new Map(objects.map((o) => [o.key, o])), prefix };
}

async function restoreBucket(client: S3Client, store: string, state: S3BucketState): Promise<void> {
  let live = await listObjects(client, state.bucket);
  if (!state.existed) {
    if (live !== null) await emptyAndDeleteBucket(client, state.bucket);
    return;
  }
  if (live === null) {
    await createBucket(client, state.bucket);
    live = [];
  }
  const liveByKey = new Map(live.map((o) => [o.key, o]));
  await deleteKeys(client, state.bucket, live.filter((o) => !state.objects.has(o.key)).map((o) => o.key));
  const changed = [...state.objects.values()].filter((o) => {
    const now = liveByKey.get(o.key);
    return now === undefined || now.etag !== o.etag || now.size !== o.size;
  });
  await mapLimit(changed, S3_CONCURRENCY, (o) =>
    copyObject(client, { bucket: store, key: state.prefix + o.key }, { bucket: state.bucket, key: o.key }),
  );
}
