import { performance } from 'node:perf_hooks';
import { runContainer } from '../container-run.ts';
import { bindToLoopback, containerHost, containerImage } from '../containers.ts';
import { createStartedService } from '../handle.ts';
import { generatePassword } from '../mask.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { mysqlAdapter } from './adapter.ts';

const DATABASE = 'dagbox';

/**
 * Starts MySQL in a container (testcontainers' MySqlContainer; the official image pinned in
 * docker/images.json, or the local MariaDB 10.11 one built from docker/mysql) with its data on tmpfs,
 * binary log off, the port published on 127.0.0.1 only. The handle logs in as root with a generated
 * password, so that, as with the local provider, the session may create schemas. If dagbox is killed,
 * the next dagbox start removes the container (and Ryuk, where its image is present).
 *
 * ```ts
 * await using my = await startMysqlContainer(ctx);
 * ```
 */
export async function startMysqlContainer(ctx: ProviderContext, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const begun = performance.now();
  const image = containerImage('mysql', ctx.imageSet);
  const { MySqlContainer } = await import('@testcontainers/mysql');
  class LoopbackMySqlContainer extends MySqlContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      await bindToLoopback(this.hostConfig);
    }
  }
  const rootPassword = generatePassword();
  const container = new LoopbackMySqlContainer(image)
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
    .withStartupTimeout(opts.timeoutMs ?? 120_000);
  const { started: running, stop } = await runContainer(ctx, 'mysql', image, container);
  return createStartedService(
    mysqlAdapter,
    {
      host: containerHost(running.getHost()),
      port: running.getPort(),
      username: 'root',
      password: rootPassword,
      database: DATABASE,
      provider: 'containers',
      description: `container ${image}`,
      startupMs: performance.now() - begun,
    },
    stop,
  );
}
