import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import S3rver from 's3rver';
import s3rverAccounts from 's3rver/lib/models/account.js';
import { completeMultipartByAppending, withAbortMultipartUpload } from './multipart.ts';
import { verifySignatureV4 } from './signature.ts';
import type { S3Credentials } from './signature.ts';

/** Options of {@link createS3Handler}. */
export interface S3ServerOptions {
  /** Where objects are stored. */
  readonly directory: string;
  /** The only key pair the server accepts; every request must be signed (Signature V4) with it. */
  readonly credentials: S3Credentials;
  /** Buckets that exist from the start. */
  readonly buckets?: readonly string[];
}

/** dagbox's S3 server as a request listener, and how to release what it holds. */
export interface S3Handler {
  readonly handler: RequestListener;
  close(): void;
}

/**
 * dagbox's S3 server: s3rver storing objects in `directory`, with multipart completion that appends
 * parts (s3rver concatenates them in memory), AbortMultipartUpload (s3rver lacks it), and a Signature V4
 * check with exactly `credentials` (s3rver accepts unsigned requests and does not check V4 signatures).
 * The same server runs in-process (the local provider) and in the `dagbox-s3` image (docker/s3).
 *
 * ```ts
 * const s3 = await createS3Handler({ directory: dir, credentials, buckets: ['dagbox'] });
 * createServer(s3.handler).listen(9000, '127.0.0.1');
 * ```
 */
export async function createS3Handler(opts: S3ServerOptions): Promise<S3Handler> {
  const { credentials } = opts;
  s3rverAccounts.DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  const app = new S3rver({
    directory: opts.directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const close = () => {
    app.logger.close();
    s3rverAccounts.DUMMY_ACCOUNT.revokeAccessKey(credentials.accessKeyId);
  };
  try {
    completeMultipartByAppending(app.store);
    await app.configureBuckets();
  } catch (error) {
    close();
    throw error;
  }
  return { handler: requireSignature(withAbortMultipartUpload(app.callback(), app.store), credentials), close };
}

function requireSignature(handler: RequestListener, credentials: S3Credentials): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const check = verifySignatureV4(req, credentials);
    if (check.ok) {
      handler(req, res);
      return;
    }
    res.writeHead(403, { 'Content-Type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${check.code}</Code><Message>${check.message}</Message></Error>`);
    req.resume();
  };
}
