import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { runContainer } from '../container-run.ts';
import { bindToLoopback, containerHost, containerImage } from '../containers.ts';
import { createStartedService } from '../handle.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { endpointUrl, s3Adapter } from './adapter.ts';
import { createS3ClientFor } from './client.ts';

const BUCKET = 'dagbox';
const MINIO_PORT = 9000;

/**
 * Starts an S3 server in a container (GenericContainer): MinIO, pinned in docker/images.json, or the
 * local image built from docker/s3, which serves dagbox's own S3 server behind MinIO's contract. Waits
 * for `/minio/health/live`, and creates the session bucket `dagbox`. The root user and password are
 * generated per session and are the handle's access key and secret. Data is on tmpfs; the port is
 * published on 127.0.0.1 only. If dagbox is killed, the next dagbox start removes the container (and
 * Ryuk, where its image is present).
 *
 * ```ts
 * await using s3 = await startS3Container(ctx);
 * ```
 */
export async function startS3Container(ctx: ProviderContext, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const begun = performance.now();
  const image = containerImage('s3', ctx.imageSet);
  const { GenericContainer, Wait } = await import('testcontainers');
  class LoopbackContainer extends GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      await bindToLoopback(this.hostConfig);
    }
  }
  const accessKeyId = `DAGBOX${randomBytes(7).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const container = new LoopbackContainer(image)
    .withExposedPorts(MINIO_PORT)
    .withEnvironment({ MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey })
    .withCommand(['server', '/data'])
    .withTmpFs({ '/data': 'rw' })
    .withWaitStrategy(Wait.forHttp('/minio/health/live', MINIO_PORT))
    .withStartupTimeout(opts.timeoutMs ?? 120_000);
  const { started: running, stop } = await runContainer(ctx, 's3', image, container);
  const endpoint = { host: containerHost(running.getHost()), port: running.getMappedPort(MINIO_PORT) };
  const client = createS3ClientFor({ endpoint: endpointUrl({ ...endpoint, username: '', password: '', database: '' }), accessKeyId, secretAccessKey });
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  } finally {
    client.destroy();
  }
  return createStartedService(
    s3Adapter,
    {
      ...endpoint,
      username: accessKeyId,
      password: secretAccessKey,
      database: BUCKET,
      provider: 'containers',
      description: `container ${image}`,
      startupMs: performance.now() - begun,
    },
    stop,
  );
}
