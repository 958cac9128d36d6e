import { performance } from 'node:perf_hooks';
import { bindToLoopback, containerHost, containerImages } from '../containers.ts';
import { createStartedService } from '../handle.ts';
import { generatePassword } from '../mask.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { mysqlAdapter } from './adapter.ts';

const DATABASE = 'dagbox';

/**
 * Starts MySQL in a container (testcontainers' MySqlContainer, image pinned in docker/images.json) with
 * its data on tmpfs, binary log off, the port published on 127.0.0.1 only. The handle logs in as root
 * with a generated password, so that, as with the local provider, the session may create schemas.
 * If dagbox is killed, testcontainers' reaper (Ryuk) removes the container.
 *
 * ```ts
 * await using my = await startMysqlContainer(ctx);
 * ```
 */
export async function startMysqlContainer(ctx: ProviderContext, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const started = performance.now();
  const image = containerImages().mysql;
  const { MySqlContainer } = await import('@testcontainers/mysql');
  class LoopbackMySqlContainer extends MySqlContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      await bindToLoopback(this.hostConfig);
    }
  }
  const rootPassword = generatePassword();
  const container = await new LoopbackMySqlContainer(image)
    .withDatabase(DATABASE)
    .withUsername('dagbox')
    .withUserPassword(generatePassword())
    .withRootPassword(rootPassword)
    .withTmpFs({ '/var/lib/mysql': 'rw' })
    .withCommand([
      '--skip-log-bin',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      '--character-set-server=utf8mb4',
      '--default-time-zone=+00:00',
    ])
    .withLabels({ 'dev.dagbox.session': ctx.session })
    .withStartupTimeout(opts.timeoutMs ?? 120_000)
    .start();
  return createStartedService(
    mysqlAdapter,
    {
      host: containerHost(container.getHost()),
      port: container.getPort(),
      username: 'root',
      password: rootPassword,
      database: DATABASE,
      provider: 'containers',
      description: `container ${image}`,
      startupMs: performance.now() - started,
    },
    async () => void (await container.stop({ remove: true, removeVolumes: true })),
  );
}
