import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImageMissingError, runContainer } from '../../src/services/container-run.ts';
import { prepareContainers } from '../../src/services/container-session.ts';
import { BUILD_COMMAND } from '../../src/services/images.ts';
import { reapStale } from '../../src/services/ownership.ts';
import { containersOwnedBy } from '../helpers/providers.ts';
import {
  BACKENDS,
  containerImages,
  containerRuntimeAvailable,
  createMysqlPool,
  createPostgresPool,
  createS3Client,
  NoProviderError,
  startServices,
} from '../../src/services/index.ts';
import { listenAddresses, testContext } from './helpers/context.ts';

const runtime = await containerRuntimeAvailable();
// Vitest prints no reason for a skipped test, so the reason is in its name.
const needsRuntime = runtime.ok ? '' : ` [skipped: ${runtime.reason}]`;

describe('containers provider', () => {
  it('reads its pinned images from docker/images.json', () => {
    const images = containerImages();
    for (const image of Object.values(images)) expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
    expect(images.s3).toMatch(/^minio\/minio:RELEASE\./);
  });

  it.skipIf(!runtime.ok)(`starts MySQL, Postgres and S3 (MinIO's contract) containers on 127.0.0.1 and serves them${needsRuntime}`, { timeout: 300_000 }, async () => {
    const ctx = testContext();
    try {
      const [mysql, postgres, s3] = await Promise.all([
        BACKENDS.mysql.startContainer(ctx),
        BACKENDS.postgres.startContainer(ctx),
        BACKENDS.s3.startContainer(ctx),
      ]);
      try {
        for (const s of [mysql, postgres, s3]) expect(s.provider).toBe('containers');
        const pg = createPostgresPool(postgres);
        expect((await pg.query('SELECT current_database() AS db')).rows).toEqual([{ db: 'dagbox' }]);
        await pg.end();
        const my = createMysqlPool(mysql);
        expect((await my.query('SELECT database() AS db'))[0]).toEqual([{ db: 'dagbox' }]);
        await my.end();
        const client = createS3Client(s3);
        await client.send(new PutObjectCommand({ Bucket: s3.database, Key: 'k', Body: 'v' }));
        expect(await (await client.send(new GetObjectCommand({ Bucket: s3.database, Key: 'k' }))).Body?.transformToString()).toBe('v');
        client.destroy();
        if (postgres.host === '127.0.0.1') {
          for (const s of [mysql, postgres, s3]) expect(listenAddresses(s.port).every((a) => a === '127.0.0.1')).toBe(true);
          // Published through the engine (Podman forwards without a listening socket here): its own record says loopback.
          const { getContainerRuntimeClient } = await import('testcontainers');
          const client = await getContainerRuntimeClient();
          const ids = await containersOwnedBy(process.pid);
          expect(ids).toHaveLength(3);
          for (const id of ids) {
            const ports = (await client.container.inspect(client.container.getById(id))).NetworkSettings.Ports;
            const hostIps = Object.values(ports).flatMap((bindings) => (bindings ?? []).map((b) => b.HostIp));
            expect(hostIps.length).toBeGreaterThan(0);
            expect(new Set(hostIps)).toEqual(new Set(['127.0.0.1']));
          }
        }
      } finally {
        await Promise.all([mysql.stop(), postgres.stop(), s3.stop()]);
      }
    } finally {
      ctx.cleanup();
    }
  });

  it.skipIf(runtime.ok)('without a runtime, asking for containers fails at once with the ways out', async () => {
    const ctx = testContext();
    try {
      const error = await startServices({ stateDir: ctx.stateDir, providers: { postgres: 'containers' }, external: {}, log: ctx.log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoProviderError);
      const message = (error as Error).message;
      expect(message).toContain('postgres: the containers provider was requested, but no container runtime is configured');
      expect(message).toContain('Install and start Docker (or Podman), or point DOCKER_HOST at a running engine.');
      expect(message).toMatch(/local process: available here \(initdb\+postgres \d+\); use --services local, or providers: \{ postgres: 'local' \}/);
      expect(message).toContain('external server: Set DAGBOX_CONN_POSTGRES=postgres://user:password@127.0.0.1:5432/postgres to a server you run.');
      // Nothing was started: the choice is made before any service starts.
      expect(ctx.lines).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });

  it.skipIf(!runtime.ok)(`names the missing image, the command that builds it and the setting that selects it${needsRuntime}`, { timeout: 120_000 }, async () => {
    const ctx = { ...testContext(), imageSet: 'local' as const };
    try {
      const { GenericContainer } = await import('testcontainers');
      const image = 'localhost/dagbox-no-such-image:0';
      const error = await runContainer(ctx, 's3', image, new GenericContainer(image)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageMissingError);
      const message = (error as Error).message;
      expect(message).toContain(`s3: the image ${image} is not on this container engine`);
      expect(message).toContain(`Build it with \`${BUILD_COMMAND}\``);
      expect(message).toContain("images: 'official' in dagbox.config.ts or DAGBOX_IMAGES=official");
      expect(await containersOwnedBy(process.pid)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });

  describe('when the session process ends', () => {
    const S3_ONLY = JSON.stringify({ mysql: 'local', postgres: 'local', s3: 'containers' });

    /** Runs helpers/session-child.ts with an S3 container; resolves once it is up. */
    async function startChild(mode: 'wait' | 'exit') {
      const stateDir = mkdtempSync(join(tmpdir(), 'dagbox-test-state-'));
      const script = fileURLToPath(new URL('./helpers/session-child.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, stateDir, mode, S3_ONLY], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      let out = '';
      const ready = await new Promise<{ containers: string[] }>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = /^READY (.*)$/m.exec(out);
          if (line) resolve(JSON.parse(line[1] as string) as { containers: string[] });
        });
        void exited.then(() => reject(new Error(`the child session ended before it was ready: ${out}`)));
      });
      // A child killed with SIGKILL leaves its local servers' dirs: the next session in its state dir reaps them.
      const cleanup = async () => {
        await reapStale(stateDir);
        rmSync(stateDir, { recursive: true, force: true });
      };
      return { child, stateDir, exited, containers: ready.containers, cleanup };
    }

    it.skipIf(!runtime.ok)(`leaves containers after kill -9, which the next start removes${needsRuntime}`, { timeout: 300_000 }, async () => {
      const run = await startChild('wait');
      try {
        expect(run.containers).toHaveLength(1);
        run.child.kill('SIGKILL');
        await run.exited;
        expect(await containersOwnedBy(run.child.pid as number)).toEqual(run.containers);
        const lines: string[] = [];
        await prepareContainers((l) => lines.push(l));
        expect(await containersOwnedBy(run.child.pid as number)).toEqual([]);
        expect(lines.join('\n')).toMatch(new RegExp(`removed 1 container\\(s\\) of session [0-9a-f]{8} \\(pid ${run.child.pid}\\), which ended without stopping them`));
      } finally {
        await run.cleanup();
      }
    });

    it.skipIf(!runtime.ok)(`removes its containers on SIGTERM${needsRuntime}`, { timeout: 300_000 }, async () => {
      const run = await startChild('wait');
      try {
        expect(await containersOwnedBy(run.child.pid as number)).toEqual(run.containers);
        run.child.kill('SIGTERM');
        await run.exited;
        expect(await containersOwnedBy(run.child.pid as number)).toEqual([]);
      } finally {
        await run.cleanup();
      }
    });

    it.skipIf(!runtime.ok)(`removes its containers when the process exits without stopping them${needsRuntime}`, { timeout: 300_000 }, async () => {
      const run = await startChild('exit');
      try {
        await run.exited;
        expect(run.containers).toHaveLength(1);
        expect(await containersOwnedBy(run.child.pid as number)).toEqual([]);
      } finally {
        await run.cleanup();
      }
    });
  });
});
