import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSnapshot, restore, snapshot, type Snapshot } from '../../src/snapshot/index.ts';
import { listObjects } from '../../src/shared/s3-objects.ts';
import { databasesMentioning, dumpMysql, dumpPostgres, dumpS3, startTestServices, type TestServices } from '../services/fixture-helpers.ts';

let svc: TestServices;

beforeAll(async () => {
  svc = await startTestServices({ drainTimeoutMs: 300 });
  await seedMysql(svc);
  await seedPostgres(svc);
  await seedS3(svc);
});

afterAll(async () => {
  await svc?.close();
});

const mysqlSchemas = () => [svc.mysql.database, ...(svc.mysql.schemas ?? [])];
const s3Buckets = () => [svc.s3.bucket, `${svc.s3.bucket}-extra`];

async function dumpAll() {
  return {
    mysql: await dumpMysql(svc.mysql.pool, mysqlSchemas()),
    postgres: await dumpPostgres(svc.postgres.pool),
    s3: await dumpS3(svc.s3.client, s3Buckets()),
  };
}

async function seedMysql(s: TestServices): Promise<void> {
  const q = (sql: string) => s.mysql.pool.query(sql);
  await q(`CREATE TABLE parent (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NULL, note TEXT NULL,
             name_len INT AS (CHAR_LENGTH(name)) VIRTUAL) ENGINE=InnoDB`);
  await q(`CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NOT NULL, qty DECIMAL(10,2),
             FOREIGN KEY (parent_id) REFERENCES parent(id) ON DELETE CASCADE) ENGINE=InnoDB`);
  await q('CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(200))');
  await s.mysql.pool.query('INSERT INTO parent (id, name, note) VALUES ?', [
    [
      [1, '김철수', "it's \"quoted\""],
      [2, '', null],
      [3, null, ''],
      [4, 'four', 'x'],
      [5, 'five', 'y'],
    ],
  ]);
  // A gap: the counter (6) is above max(id)+1 after these deletes, so restore must set it.
  await q('DELETE FROM parent WHERE id IN (4, 5)');
  await q('INSERT INTO child (parent_id, qty) VALUES (1, 1.50), (1, 2.25), (2, 0)');
  await q('CREATE VIEW parent_names AS SELECT id, name FROM parent');
  await q("CREATE TRIGGER child_audit AFTER INSERT ON child FOR EACH ROW INSERT INTO audit (msg) VALUES (CONCAT('child ', NEW.id))");
}

async function seedPostgres(s: TestServices): Promise<void> {
  await s.postgres.pool.query(`
    CREATE SCHEMA raw_data;
    CREATE TABLE raw_data.nps (id SERIAL PRIMARY KEY, score INT NOT NULL, comment TEXT, created_at DATE);
    INSERT INTO raw_data.nps (score, comment, created_at) VALUES (9, '좋아요', '2021-02-05'), (3, '', '2021-02-05'), (7, NULL, '2021-02-06');
    CREATE TABLE public.other (k TEXT PRIMARY KEY, v JSONB);
    INSERT INTO public.other VALUES ('a', '{"x": 1}');
    CREATE VIEW raw_data.daily AS SELECT created_at, count(*) AS n FROM raw_data.nps GROUP BY 1;`);
}

async function seedS3(s: TestServices): Promise<void> {
  const put = (Key: string, Body: string) => s.s3.client.send(new PutObjectCommand({ Bucket: s.s3.bucket, Key, Body, ContentType: 'text/csv' }));
  await put('nps/2021-02-05.csv', 'id,score\n1,9\n');
  await put('한글/파일 이름.csv', '이름,성별\n철수,M\n');
  await put('odd/a+b=c.txt', 'reserved characters in the key');
  await put('to-delete.txt', 'bye');
}

async function mutateEverything(s: TestServices): Promise<void> {
  const my = (sql: string) => s.mysql.pool.query(sql);
  await my("INSERT INTO parent (name) VALUES ('new')");
  await my("UPDATE parent SET note = 'changed' WHERE id = 1");
  await my('INSERT INTO child (parent_id, qty) VALUES (2, 9)'); // fires the trigger
  await my('DELETE FROM child WHERE id = 1');
  await my('CREATE TABLE created_later (x INT)');
  await my('DROP VIEW parent_names');
  await my('CREATE VIEW parent_names AS SELECT id FROM parent');
  await my('DROP TRIGGER child_audit');
  await my('ALTER TABLE audit ADD COLUMN extra INT');
  await my(`CREATE DATABASE \`${s.mysql.database}_prod\``);
  await my(`CREATE TABLE \`${s.mysql.database}_prod\`.orders (id INT)`);
  await my('DROP TABLE child');

  await s.postgres.pool.query(`
    INSERT INTO raw_data.nps (score, comment) VALUES (1, 'new');
    UPDATE raw_data.nps SET score = 10 WHERE id = 1;
    DELETE FROM raw_data.nps WHERE id = 2;
    CREATE TABLE public.created_later (x INT);
    DROP TABLE public.other;
    DROP VIEW raw_data.daily;`);

  const put = (Bucket: string, Key: string, Body: string) => s.s3.client.send(new PutObjectCommand({ Bucket, Key, Body }));
  await put(s.s3.bucket, 'nps/2021-02-05.csv', 'overwritten');
  await put(s.s3.bucket, 'new-object.txt', 'created after the snapshot');
  await s.s3.client.send(new DeleteObjectCommand({ Bucket: s.s3.bucket, Key: 'to-delete.txt' }));
  await s.s3.client.send(new DeleteObjectCommand({ Bucket: s.s3.bucket, Key: 'odd/a+b=c.txt' }));
  await s.s3.client.send(new CreateBucketCommand({ Bucket: `${s.s3.bucket}-extra` }));
  await put(`${s.s3.bucket}-extra`, 'made-later.txt', 'in a bucket created after the snapshot');
}

describe('snapshot and restore', () => {
  it('restores MySQL, Postgres and S3 exactly after inserts, deletes, updates, created and dropped tables and objects', async () => {
    svc.s3.buckets = [`${svc.s3.bucket}-extra`];
    const before = await dumpAll();
    const snap = await snapshot(svc, 'round-trip');
    try {
      await mutateEverything(svc);
      await svc.s3.client.send(new PutObjectCommand({ Bucket: svc.s3.bucket, Key: 'x', Body: 'y' }));
      expect(await dumpAll()).not.toEqual(before);

      const report = await restore(svc, snap);
      console.log(`restore took ${report.ms.toFixed(1)} ms`, JSON.stringify(report.services, (_, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)));
      expect(await dumpAll()).toEqual(before);

      // The snapshot stays usable: mutate and restore once more.
      await mutateEverything(svc);
      await restore(svc, snap);
      expect(await dumpAll()).toEqual(before);
    } finally {
      await dropSnapshot(svc, snap);
      svc.s3.buckets = undefined;
    }
  });

  it('keeps the restored MySQL trigger from firing while rows are copied back, and AUTO_INCREMENT where it was', async () => {
    const snap = await snapshot(svc, 'trigger');
    try {
      await svc.mysql.pool.query('INSERT INTO child (parent_id, qty) VALUES (1, 3)');
      await restore(svc, snap);
      const [audit] = await svc.mysql.pool.query('SELECT COUNT(*) AS n FROM audit');
      expect(audit).toEqual([{ n: 0 }]);
      await svc.mysql.pool.query("INSERT INTO parent (name) VALUES ('after restore')");
      const [rows] = await svc.mysql.pool.query("SELECT id FROM parent WHERE name = 'after restore'");
      expect(rows).toEqual([{ id: 6 }]);
      await svc.mysql.pool.query('INSERT INTO child (parent_id, qty) VALUES (1, 3)');
      const [after] = await svc.mysql.pool.query('SELECT COUNT(*) AS n FROM audit');
      expect(after).toEqual([{ n: 1 }]);
    } finally {
      await restore(svc, snap);
      await dropSnapshot(svc, snap);
    }
  });

  it('gives the Postgres pool back connected to the restored database', async () => {
    const snap = await snapshot(svc, 'pool');
    try {
      const oldPool = svc.postgres.pool;
      await svc.postgres.pool.query('DELETE FROM raw_data.nps');
      await restore(svc, { ...snap, mysql: undefined, s3: undefined });
      expect(svc.postgres.pool).not.toBe(oldPool);
      const { rows } = await svc.postgres.pool.query<{ n: string }>('SELECT count(*) AS n FROM raw_data.nps');
      expect(rows[0]!.n).toBe('3');
    } finally {
      await dropSnapshot(svc, snap);
    }
  });

  it('refuses to restore Postgres while a pool client is checked out, and leaves the database usable', async () => {
    const snap = await snapshot({ postgres: svc.postgres }, 'busy');
    const held = await svc.postgres.pool.connect();
    try {
      await expect(restore({ postgres: svc.postgres }, snap)).rejects.toThrow(/waited 300 ms for 1 client\(s\) to be released/);
      expect((await held.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      held.release();
      await dropSnapshot({ postgres: svc.postgres }, snap);
    }
    expect((await svc.postgres.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('drops every copy a snapshot made', async () => {
    const snap: Snapshot = await snapshot(svc, 'drop-me');
    await dropSnapshot(svc, snap);
    const left = await databasesMentioning(svc.id);
    expect(left.mysql.filter((d) => d.startsWith('dgbx_snap_'))).toEqual([]);
    expect(left.postgres.filter((d) => d.startsWith('dgbx_snap_'))).toEqual([]);
    expect(await listObjects(svc.s3.client, snap.s3!.store)).toBeNull();
  });
});
