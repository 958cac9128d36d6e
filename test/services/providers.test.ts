import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { startSession, type Session } from '../../src/app/session.ts';
import { containersOwnedBy, skipNote, skipReason, startExternalServers, TEST_PROVIDERS } from '../helpers/providers.ts';
import type { ExternalServers } from '../helpers/providers.ts';

/** A small fixtures folder of the session's own tables (no extra schemas: the external leg shares its server). */
function writeFixtures(dir: string): void {
  mkdirSync(join(dir, 'mysql'), { recursive: true });
  mkdirSync(join(dir, 'postgres'), { recursive: true });
  mkdirSync(join(dir, 's3', '_'), { recursive: true });
  writeFileSync(join(dir, 'mysql', '010_orders.sql'), 'CREATE TABLE orders (id INT PRIMARY KEY, item VARCHAR(20) NOT NULL);\n');
  writeFileSync(join(dir, 'mysql', 'orders.csv'), 'id,item\n1,apple\n2,pear\n');
  writeFileSync(join(dir, 'postgres', '010_raw.sql'), 'CREATE SCHEMA raw_data;\nCREATE TABLE raw_data.scores (id INT PRIMARY KEY, score INT NOT NULL);\n');
  writeFileSync(join(dir, 'postgres', 'raw_data.scores.csv'), 'id,score\n1,9\n2,3\n');
  writeFileSync(join(dir, 's3', '_', 'seed.csv'), 'name,gender\nKeeyong,M\n');
}

async function readAll(session: Session): Promise<{ mysql: unknown[]; postgres: unknown[]; s3: string }> {
  const { mysql, postgres, s3 } = session.clients;
  const [rows] = await mysql!.pool.query<RowDataPacket[]>('SELECT id, item FROM orders ORDER BY id');
  const pg = await postgres!.pool.query('SELECT id, score FROM raw_data.scores ORDER BY id');
  const object = await s3!.client.send(new GetObjectCommand({ Bucket: s3!.bucket, Key: 'seed.csv' }));
  return { mysql: rows, postgres: pg.rows, s3: (await object.Body?.transformToString()) ?? '' };
}

describe.each(TEST_PROVIDERS)('services on the %s provider', (provider) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  });

  it.skipIf(skipReason(provider) !== undefined)(
    `start all three, load fixtures, restore a snapshot exactly, and leave nothing behind${skipNote(provider)}`,
    { timeout: 600_000 },
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'dagbox-test-providers-'));
      cleanups.push(() => rmSync(work, { recursive: true, force: true }));
      writeFixtures(join(work, 'fixtures'));
      let external: ExternalServers | undefined;
      const env = { ...process.env };
      if (provider === 'external') {
        external = await startExternalServers();
        cleanups.push(() => external?.close());
        process.env.DAGBOX_CONN_MYSQL = external.uris.mysql;
        process.env.DAGBOX_CONN_POSTGRES = external.uris.postgres;
        process.env.DAGBOX_CONN_S3 = external.uris.s3;
        cleanups.push(() => {
          for (const key of ['DAGBOX_CONN_MYSQL', 'DAGBOX_CONN_POSTGRES', 'DAGBOX_CONN_S3']) {
            if (env[key] === undefined) delete process.env[key];
            else process.env[key] = env[key];
          }
        });
      }
      const lines: string[] = [];
      const session = await startSession({ flag: provider, fixturesDir: join(work, 'fixtures'), stateDir: join(work, 'state'), log: (l) => lines.push(l) });
      try {
        const services = session.services!;
        expect([services.mysql.provider, services.postgres.provider, services.s3.provider]).toEqual([provider, provider, provider]);
        for (const s of [services.mysql, services.postgres, services.s3]) {
          expect(s.host).toBe('127.0.0.1');
          if (s.password) expect(lines.join('\n')).not.toContain(s.password);
        }
        if (provider === 'containers') {
          expect(lines.join('\n')).toMatch(/^postgres: container \S+ ready in \d+\.\d\ds at postgres:\/\/dagbox:\*\*\*@127\.0\.0\.1:\d+\/dagbox$/m);
          expect(await containersOwnedBy(process.pid)).toHaveLength(3);
        }
        const report = await session.loadFixtures();
        expect(report?.rows).toBe(4);
        expect(report?.objects).toBe(1);
        const loaded = await readAll(session);
        expect(loaded).toEqual({
          mysql: [{ id: 1, item: 'apple' }, { id: 2, item: 'pear' }],
          postgres: [{ id: 1, score: 9 }, { id: 2, score: 3 }],
          s3: 'name,gender\nKeeyong,M\n',
        });
        const snap = await session.snapshot('providers');
        const { mysql, postgres, s3 } = session.clients;
        await mysql!.pool.query("UPDATE orders SET item = 'plum' WHERE id = 1");
        await mysql!.pool.query("INSERT INTO orders VALUES (3, 'fig')");
        await postgres!.pool.query('DELETE FROM raw_data.scores');
        await s3!.client.send(new PutObjectCommand({ Bucket: s3!.bucket, Key: 'seed.csv', Body: 'changed' }));
        expect(await readAll(session)).not.toEqual(loaded);
        await session.restore(snap);
        expect(await readAll(session)).toEqual(loaded);
        await session.dropSnapshot(snap);
      } finally {
        await session.stop();
      }
      expect(await containersOwnedBy(process.pid)).toEqual([]);
    },
  );
});
