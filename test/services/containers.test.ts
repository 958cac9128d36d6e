import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
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

  it.skipIf(!runtime.ok)(`starts MySQL, Postgres and MinIO containers on 127.0.0.1 and serves them${needsRuntime}`, { timeout: 300_000 }, async () => {
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
});
