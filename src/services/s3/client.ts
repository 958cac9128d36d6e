import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { StartedService } from '../types.ts';
import { routeWarning } from '../../shared/task-scope.ts';
import { S3_REGION } from './adapter.ts';

/** Where an S3 client goes and as whom. */
export interface S3Target {
  /** `http://127.0.0.1:9000`. */
  readonly endpoint: string;
  readonly region?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * THE factory for S3 clients in dagbox: path-style addressing (local servers have no per-bucket DNS
 * names), the session's region and credentials, and request checksums only when an operation requires
 * them. The last matters: with the SDK's default (WHEN_SUPPORTED), a streamed PutObject is sent with
 * aws-chunked framing and a trailing checksum, which s3rver stores verbatim — measured here, 307,280
 * bytes kept for a 307,200-byte upload, with no error.
 *
 * ```ts
 * const s3 = createS3Client(services.s3);
 * await s3.send(new PutObjectCommand({ Bucket: services.s3.database, Key: 'a.csv', Body: 'x,y\n' }));
 * ```
 */
export function createS3Client(service: StartedService, overrides: S3ClientConfig = {}): S3Client {
  const extra = service.connection(service.kind).extra;
  return createS3ClientFor(
    {
      endpoint: service.getConnectionUri(),
      region: typeof extra.region_name === 'string' ? extra.region_name : S3_REGION,
      accessKeyId: service.username,
      secretAccessKey: service.password,
    },
    overrides,
  );
}

/** {@link createS3Client} for a target that is not (yet) a started service. */
export function createS3ClientFor(target: S3Target, overrides: S3ClientConfig = {}): S3Client {
  // The SDK warns on every Node 20 process that its future releases need Node 22; dagbox pins its
  // SDK version and supports Node 20.19+, so the notice would only bury dagbox's own output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region ?? S3_REGION,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    // The SDK logs to console when given no logger ("An error was encountered in a non-retryable
    // streaming request." once per failed upload part): route it to the task's log, attributed.
    logger: sdkLogger,
    ...overrides,
  });
}

// Only the SDK's own sentences are warnings: a failed command is also logged as an object
// ({ commandName, error, ... }) by the SDK's logger middleware, and its caller gets the error anyway.
const sdkWarning = (...args: unknown[]) => {
  if (args.every((a) => typeof a === 'string')) routeWarning('AWS SDK (S3)', args.join(' '));
};
const sdkLogger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: sdkWarning,
  error: sdkWarning,
};

/** Deletes every object in `bucket` (one by one: DeleteObjects needs Content-MD5, which not every local server takes), then the bucket. */
export async function deleteBucket(client: S3Client, bucket: string): Promise<void> {
  // Listing from the start after each deleted page needs no continuation tokens (s3rver's differ from S3's).
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
    if (keys.length === 0) break;
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key }))));
    }
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
