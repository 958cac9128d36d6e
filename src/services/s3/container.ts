import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { bindToLoopback, containerHost, containerImages } from '../containers.ts';
import { createStartedService } from '../handle.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { endpointUrl, s3Adapter } from './adapter.ts';
import { createS3ClientFor } from './client.ts';

const BUCKET = 'dagbox';
const MINIO_PORT = 9000;

/**
 * Starts MinIO in a container (GenericContainer, image pinned in docker/images.json), waits for
 * `/minio/health/live`, and creates the session bucket `dagbox`. The root user and password are
 * generated per session and are the handle's access key and secret. Data is on tmpfs; the port is
 * published on 127.0.0.1 only. If dagbox is killed, testcontainers' reaper (Ryuk) removes the container.
 *
 * ```ts
 * await using s3 = await startS3Container(ctx);
 * ```
 */
export async function startS3Container(ctx: ProviderContext, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const started = performance.now();
  const image = containerImages().s3;
  const { GenericContainer, Wait } = await import('testcontainers');
  class LoopbackContainer extends GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      await bindToLoopback(this.hostConfig);
    }
  }
  const accessKeyId = `DAGBOX${randomBytes(7).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const container = await new LoopbackContainer(image)
    .withExposedPorts(MINIO_PORT)
    .withEnvironment({ MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey })
    .withCommand(['server', '/data'])
    .withTmpFs({ '/data': 'rw' })
    .withWaitStrategy(Wait.forHttp('/minio/health/live', MINIO_PORT))
    .withLabels({ 'dev.dagbox.session': ctx.session })
    .withStartupTimeout(opts.timeoutMs ?? 120_000)
    .start();
  const endpoint = { host: containerHost(container.getHost()), port: container.getMappedPort(MINIO_PORT) };
  const stop = async () => void (await container.stop({ remove: true, removeVolumes: true }));
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
      startupMs: performance.now() - started,
    },
    stop,
  );
}
