import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import type { RequestListener } from 'node:http';
import { dirname, join } from 'node:path';
import type { S3rverStore } from 's3rver';
import S3Error from 's3rver/lib/models/error.js';

/**
 * Replace s3rver's CompleteMultipartUpload step with one that costs a plain file copy.
 *
 * s3rver 3.7 joins the parts by streaming them through an MD5 into the object file, so completing
 * a 30 MB upload re-hashes all 30 MB while the uploader waits (about 130 ms here, a fifth of a
 * million-row sqlToS3). Here the parts are written one after the other into a temporary file,
 * which is then renamed onto the object, so a reader never sees half an object. The ETag is the
 * one S3 itself gives a multipart object: the MD5 of the parts' MD5s, then `-` and the number of
 * parts, built from the `.md5` files s3rver wrote as the parts arrived. A part that was never
 * uploaded is S3's `InvalidPart` error, an unknown upload id `NoSuchUpload`.
 */
export function completeMultipartByAppending(store: S3rverStore): void {
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const uploadDir = uploadDirOf(store, bucket, uploadId);
    const [key, metadata] = await Promise.all([
      readFile(join(uploadDir, 'key'), 'utf8'),
      readFile(join(uploadDir, 'metadata'), 'utf8').then((text) => JSON.parse(text) as Record<string, string>),
    ]).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? noSuchUpload() : error;
    });
    const numbers = parts.map((part) => part.number).sort((a, b) => a - b);
    const paths = numbers.map((n) => join(uploadDir, String(n)));
    const digests = await Promise.all(paths.map((path) => readFile(`${path}.md5`, 'utf8').catch(() => null)));
    const missing = digests.findIndex((digest) => digest === null);
    if (missing >= 0) throw invalidPart(numbers[missing]!);
    const joined = join(uploadDir, 'object');
    const out = await open(joined, 'w');
    let size = 0;
    try {
      // A part at a time (5 MB with dagbox's uploads) through one buffer: fresh memory is slow to map.
      let buffer = Buffer.allocUnsafe(0);
      for (const path of paths) {
        const part = await open(path, 'r');
        try {
          const { size: length } = await part.stat();
          if (buffer.length < length) buffer = Buffer.allocUnsafe(length);
          const { bytesRead } = await part.read(buffer, 0, length, 0);
          if (bytesRead !== length) throw new Error(`part file ${path} holds ${length} bytes but ${bytesRead} could be read`);
          await out.write(buffer, 0, length);
          size += length;
        } finally {
          await part.close();
        }
      }
    } finally {
      await out.close();
    }
    const objectPath = store.getResourcePath(bucket, key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    await rename(joined, objectPath);
    const md5 = `${createHash('md5').update(Buffer.concat(digests.map((d) => Buffer.from(d!, 'hex')))).digest('hex')}-${paths.length}`;
    await store.putMetadata(bucket, key, metadata, md5);
    await rm(uploadDir, { recursive: true, force: true });
    return { size, md5 };
  };
}

/**
 * s3rver 3.7 has no AbortMultipartUpload (it answers MethodNotAllowed), so the parts of every
 * failed upload would stay on disk until the session ends. This answers
 * `DELETE /bucket/key?uploadId=...` as S3 does: the parts are removed and the answer is 204; an
 * unknown upload is NoSuchUpload (404). Every other request goes on to `handler`.
 */
export function withAbortMultipartUpload(handler: RequestListener, store: S3rverStore): RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const uploadId = url.searchParams.get('uploadId');
    if (req.method !== 'DELETE' || uploadId === null) return handler(req, res);
    req.resume();
    const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    const aborting = (async () => {
      const uploadDir = uploadDirOf(store, bucket, uploadId);
      await stat(uploadDir).catch(() => {
        throw noSuchUpload();
      });
      await rm(uploadDir, { recursive: true, force: true });
    })();
    aborting.then(
      () => res.writeHead(204).end(),
      (error: unknown) => {
        const answer = error instanceof S3Error ? error : new S3Error('InternalError', (error as Error).message);
        res.writeHead(answer.status, { 'Content-Type': 'application/xml' }).end(answer.toXML());
      },
    );
  };
}

/**
 * Where s3rver keeps an upload's parts. A bucket that is not a bucket name, or an id that is not
 * s3rver's 32 hex digits (say, `..`), names no upload: neither may lead out of the store.
 */
function uploadDirOf(store: S3rverStore, bucket: string, uploadId: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || !/^[0-9a-f]{32}$/.test(uploadId)) throw noSuchUpload();
  return join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
}

function noSuchUpload(): Error {
  return new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
}

function invalidPart(number: number): Error {
  return new S3Error('InvalidPart', `One or more of the specified parts could not be found: part ${number} was not uploaded.`);
}
