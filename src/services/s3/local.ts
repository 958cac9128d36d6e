import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createStartedService, Teardown } from '../handle.ts';
import { LOOPBACK, PortInUseError, withPortRetry } from '../ports.ts';
import { makeSessionDir, removeDir } from '../processes.ts';
import type { Availability, LocalStartOptions, ProviderContext, StartedService } from '../types.ts';
import { s3Adapter } from './adapter.ts';
import { createS3Handler } from './s3-server.ts';
import type { S3Credentials } from './signature.ts';

/** The session bucket of a local or container S3. */
const BUCKET = 'dagbox';

/** s3rver runs in-process, so a local S3 is always available. */
export async function s3LocalAvailability(): Promise<Availability> {
  return { ok: true, detail: 's3rver in-process' };
}

/**
 * Starts s3rver in this process on 127.0.0.1 and a random free port, storing objects in a temp dir, with
 * the session bucket `dagbox` created. Credentials are generated per session: the key pair is registered
 * with s3rver (which otherwise knows only S3RVER/S3RVER) and, because s3rver accepts unsigned requests and
 * does not check V4 signatures, every request must pass dagbox's Signature V4 check with exactly this pair.
 *
 * ```ts
 * await using s3 = await startLocalS3(ctx);
 * const client = createS3Client(s3);
 * ```
 */
export async function startLocalS3(ctx: ProviderContext, opts: LocalStartOptions = {}): Promise<StartedService> {
  const started = performance.now();
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const dir = makeSessionDir('s3');
    ctx.ownership.addDir(dir);
    teardown.add(async () => {
      await removeDir(dir);
      ctx.ownership.removeDir(dir);
    });
    const credentials = generateCredentials();
    const { handler, close } = await createS3Handler({ directory: dir, credentials, buckets: [BUCKET] });
    teardown.add(close);
    const server = await withPortRetry(opts.port, (port) => listen(handler, port), { what: 's3', log: ctx.log });
    teardown.add(() => closeServer(server));
    const port = (server.address() as { port: number }).port;
    return createStartedService(
      s3Adapter,
      {
        host: LOOPBACK,
        port,
        username: credentials.accessKeyId,
        password: credentials.secretAccessKey,
        database: BUCKET,
        provider: 'local',
        description: 'local in-process server (s3rver)',
        startupMs: performance.now() - started,
      },
      () => teardown.run(),
    );
  });
}

/** An AWS-shaped key pair: a 20-character access key id and a 40-character secret. */
function generateCredentials(): S3Credentials {
  return {
    accessKeyId: `DAGBOX${randomBytes(7).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

function listen(handler: RequestListener, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'the in-process S3 server could not bind it', { cause: error }) : error),
    );
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      // A session that forgets stop() must still let the process exit; its 'beforeExit' hook then stops it.
      server.unref();
      resolve(server);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
