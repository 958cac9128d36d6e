/** The bucket name that stands for the session's own bucket, as `fixtures/s3/_/` does for fixtures. */
export const SESSION_BUCKET = '_';

/** An object (or key prefix) in S3. */
export interface S3Location {
  bucket: string;
  key: string;
}

/**
 * Read `s3://bucket/key`. The bucket `_` is the session's own bucket (`sessionBucket`), so DAGs
 * can name it without knowing its generated name: `s3://_/nps/2021-02-05.csv`.
 *
 * ```ts
 * parseS3Url('s3://_/nps/a.csv', 'dagbox'); // { bucket: 'dagbox', key: 'nps/a.csv' }
 * ```
 */
export function parseS3Url(url: string, sessionBucket: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.*)$/s.exec(url);
  if (!m || m[2] === '') {
    throw new Error(`expected an S3 URL like s3://bucket/key, found ${JSON.stringify(url)}; write the bucket and the key (s3://_/... is the session bucket)`);
  }
  return { bucket: m[1] === SESSION_BUCKET ? sessionBucket : m[1]!, key: m[2]! };
}

/** `s3://bucket/key`. */
export function s3Url(location: S3Location): string {
  return `s3://${location.bucket}/${location.key}`;
}
