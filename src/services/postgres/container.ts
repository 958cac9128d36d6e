import { performance } from 'node:perf_hooks';
import { bindToLoopback, containerHost, containerImages } from '../containers.ts';
import { createStartedService } from '../handle.ts';
import { generatePassword } from '../mask.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { postgresAdapter } from './adapter.ts';

const USER = 'dagbox';
const DATABASE = 'dagbox';

/**
 * Starts Postgres in a container (testcontainers' PostgreSqlContainer, image pinned in
 * docker/images.json) with its data on tmpfs, durability off, the port published on 127.0.0.1 only, and
 * a generated password. If dagbox is killed, testcontainers' reaper (Ryuk) removes the container.
 *
 * ```ts
 * await using pg = await startPostgresContainer(ctx);
 * ```
 */
export async function startPostgresContainer(ctx: ProviderContext, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const started = performance.now();
  const image = containerImages().postgres;
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  class LoopbackPostgreSqlContainer extends PostgreSqlContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      await bindToLoopback(this.hostConfig);
    }
  }
  const password = generatePassword();
  const container = await new LoopbackPostgreSqlContainer(image)
    .withDatabase(DATABASE)
    .withUsername(USER)
    .withPassword(password)
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'timezone=UTC'])
    .withLabels({ 'dev.dagbox.session': ctx.session })
    .withStartupTimeout(opts.timeoutMs ?? 120_000)
    .start();
  return createStartedService(
    postgresAdapter,
    {
      host: containerHost(container.getHost()),
      port: container.getPort(),
      username: USER,
      password,
      database: DATABASE,
      provider: 'containers',
      description: `container ${image}`,
      startupMs: performance.now() - started,
    },
    async () => void (await container.stop({ remove: true, removeVolumes: true })),
  );
}
