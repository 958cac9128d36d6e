import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTAINER_LABELS } from '../../src/services/container-reaper.ts';
import { containerRuntimeAvailable } from '../../src/services/containers.ts';
import { createS3Handler } from '../../src/services/s3/s3-server.ts';
import type { ProviderName } from '../../src/services/types.ts';

/**
 * The provider matrix of the services tests: DAGBOX_TEST_PROVIDERS (comma-separated: containers, local,
 * external), default all three. The containers leg runs where a container engine answers
 * (`eval "$(bash ../shared/container-engine/setup.sh)"` starts one) and skips, saying why, elsewhere.
 */
export const TEST_PROVIDERS: ProviderName[] = (process.env.DAGBOX_TEST_PROVIDERS ?? 'containers,local,external')
  .split(',')
  .map((p) => p.trim())
  .filter((p): p is ProviderName => {
    if (p === 'containers' || p === 'local' || p === 'external') return true;
    throw new Error(`DAGBOX_TEST_PROVIDERS holds "${p}"; expected a comma-separated list of containers, local and external.`);
  });

const runtime = TEST_PROVIDERS.includes('containers') || process.env.DAGBOX_TEST_PROVIDER === 'containers'
  ? await containerRuntimeAvailable()
  : ({ ok: false, reason: 'containers are not in DAGBOX_TEST_PROVIDERS' } as const);

/** Why a provider's leg cannot run here, or undefined when it can. */
export function skipReason(provider: ProviderName): string | undefined {
  return provider === 'containers' && !runtime.ok ? runtime.reason : undefined;
}

/** Vitest prints no reason for a skipped test, so the reason goes into its name. */
export function skipNote(provider: ProviderName): string {
  const reason = skipReason(provider);
  return reason ? ` [skipped: ${reason}]` : '';
}

/**
 * The provider of the suites that run one session per file (the course's pipelines, verification):
 * DAGBOX_TEST_PROVIDER if set, else `fallback` (what they used before the matrix).
 */
export function harnessProvider<T extends string>(fallback: T): ProviderName | T {
  const chosen = process.env.DAGBOX_TEST_PROVIDER;
  if (!chosen) return fallback;
  if (chosen !== 'containers' && chosen !== 'local' && chosen !== 'external') {
    throw new Error(`DAGBOX_TEST_PROVIDER is "${chosen}"; expected containers, local or external.`);
  }
  return chosen;
}

/** Servers for the external leg: the machine's MySQL and Postgres, and a dagbox S3 server started here. */
export interface ExternalServers {
  readonly uris: { mysql: string; postgres: string; s3: string };
  close(): Promise<void>;
}

/** Starts what the external leg needs; the SQL servers are the machine's (DAGBOX_TEST_*_URI override them). */
export async function startExternalServers(): Promise<ExternalServers> {
  const dir = mkdtempSync(join(tmpdir(), 'dagbox-test-external-s3-'));
  const credentials = { accessKeyId: 'DAGBOXEXTERNAL', secretAccessKey: 'external-test-secret' };
  const s3 = await createS3Handler({ directory: dir, credentials });
  const server: Server = createServer(s3.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    uris: {
      mysql: process.env.DAGBOX_TEST_MYSQL_URI ?? 'mysql://root@127.0.0.1:3306/test',
      postgres: process.env.DAGBOX_TEST_POSTGRES_URI ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      s3: `http://${credentials.accessKeyId}:${credentials.secretAccessKey}@127.0.0.1:${port}`,
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      s3.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Ids of the containers (running or not) that the process `pid` owns, as their labels say. */
export async function containersOwnedBy(pid: number): Promise<string[]> {
  if (!runtime.ok) return [];
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const listed = await client.container.dockerode.listContainers({ all: true, filters: { label: [`${CONTAINER_LABELS.ownerPid}=${pid}`] } });
  return listed.map((c) => c.Id);
}
