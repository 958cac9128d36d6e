import { performance } from 'node:perf_hooks';
import { runContainer } from '../container-run.ts';
import { bindToLoopback, containerHost, containerImage } from '../containers.ts';
import { createStartedService } from '../handle.ts';
import { generatePassword } from '../mask.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { postgresAdapter } from './adapter.ts';

const USER = 'dagbox';
const DATABASE = 'dagbox';

/**
 * Starts Postgres in a container (testcontainers' PostgreSqlContainer; the official image pinned in
 * docker/images.json, or the local one built from docker/postgres) with its data on tmpfs, durability off,
 * the port published on 127.0.0.1 only, and a generated password. It waits for the official image's
 * readiness line, logged twice (the set-up server, then the real one), and the port, rather than for a
 * Docker health check, which Podman runs only under systemd. If dagbox is killed, the next dagbox start
 * removes the container (and Ryuk, where its image is present).
 *
 * ```ts
 * await using pg = await startPostgresContainer(ctx);
 * ```
 */
export async function startPostgresContainer(ctx: ProviderContext, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const begun = performance.now();
  const image = containerImage('postgres', ctx.imageSet);
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { Wait } = await import('testcontainers');
  class LoopbackPostgreSqlContainer extends PostgreSqlContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      await bindToLoopback(this.hostConfig);
    }
  }
  const password = generatePassword();
  const container = new LoopbackPostgreSqlContainer(image)
    .withDatabase(DATABASE)
    .withUsername(USER)
    .withPassword(password)
    .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'timezone=UTC'])
    // Docker's API takes ["NONE"] to turn the check off; testcontainers' type knows only CMD and CMD-SHELL.
    .withHealthCheck({ test: ['NONE'] as unknown as ['CMD'] })
    .withWaitStrategy(Wait.forAll([Wait.forLogMessage(/database system is ready to accept connections/, 2), Wait.forListeningPorts()]))
    .withStartupTimeout(opts.timeoutMs ?? 120_000);
  const { started: running, stop } = await runContainer(ctx, 'postgres', image, container);
  return createStartedService(
    postgresAdapter,
    {
      host: containerHost(running.getHost()),
      port: running.getPort(),
      username: USER,
      password,
      database: DATABASE,
      provider: 'containers',
      description: `container ${image}`,
      startupMs: performance.now() - begun,
    },
    stop,
  );
}
