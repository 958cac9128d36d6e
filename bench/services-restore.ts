/**
 * bench/services-restore: restore of fixture-sized data from a snapshot, against the baseline of
 * dropping, re-creating and re-loading the fixtures, both measured in the same run.
 *
 * Fixtures: 3 MySQL tables and 3 Postgres tables of --rows rows each (default 1,000), loaded
 * from SQL + CSV files, and --objects S3 objects (default 20, 4 KB each). Each iteration first
 * does what a test would (inserts, updates, deletes, puts and deletes objects), then times
 * `restore()` (target < 100 ms). The baseline iteration drops the databases and the bucket,
 * creates them empty and runs `loadFixtures()` again.
 *
 * Uses the machine's PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB/MySQL
 * (127.0.0.1:3306, root), with databases of its own dropped at the end, and an in-process s3rver
 * on a temp dir. Override with DAGBOX_BENCH_PG / DAGBOX_BENCH_MYSQL (postgres:// / mysql:// URLs).
 *
 *   npm run bench -- services-restore [--json] [--iterations 10] [--baseline-iterations 5] [--rows 1000] [--objects 20]
 */
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import S3rver from 's3rver';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadFixtures } from '../src/services/fixtures/index.ts';
import { createPostgresClients, dropSnapshot, restore, snapshot, type OwnedPostgresClients } from '../src/services/snapshot/index.ts';
import type { MysqlClients, ServiceClients } from '../src/services/snapshot/index.ts';
import { emptyAndDeleteBucket } from '../src/services/snapshot/s3-objects.ts';
import { shortId } from '../src/services/snapshot/identifiers.ts';
import { figure, numberFlag, parseArgs, report } from './lib.ts';

const TARGET_MS = 100;

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

interface BenchServices extends ServiceClients {
  postgres: OwnedPostgresClients;
  mysqlAdmin: mysql.Pool;
  /** A new pool on the session database (the old one's connections lose it when it is dropped). */
  newMysqlPool(): mysql.Pool;
  close(): Promise<void>;
}

/** Run the benchmark; the exit code is 0 when restore meets its target. */
export async function main(args: string[]): Promise<number> {
  const { flags } = parseArgs(args);
  const iterations = numberFlag(flags, 'iterations', 10);
  const baselineIterations = numberFlag(flags, 'baseline-iterations', 5);
  const rows = numberFlag(flags, 'rows', 1000);
  const objects = numberFlag(flags, 'objects', 20);

  const work = await mkdtemp(join(tmpdir(), 'dgbx-bench-restore-'));
  const svc = await startServices(work);
  try {
    const dir = await writeFixtures(join(work, 'fixtures'), rows, objects);
    await loadFixtures(dir, svc);
    const snapStart = performance.now();
    const snap = await snapshot(svc, 'bench');
    const snapshotMs = performance.now() - snapStart;
    const restores: { total: number; mysql: number; postgres: number; s3: number; firstQuery: number }[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        await actLikeATest(svc, i);
        const r = await restore(svc, snap);
        const q = performance.now();
        await svc.postgres.pool.query('SELECT 1');
        restores.push({ total: r.ms, mysql: r.services.mysql!, postgres: r.services.postgres!, s3: r.services.s3!, firstQuery: performance.now() - q });
      }
      await assertRestored(svc, rows, objects);
    } finally {
      await dropSnapshot(svc, snap);
    }
    const reloads: number[] = [];
    for (let i = 0; i < baselineIterations; i++) {
      await actLikeATest(svc, i);
      const start = performance.now();
      await recreateEmpty(svc);
      await loadFixtures(dir, svc);
      reloads.push(performance.now() - start);
    }
    await assertRestored(svc, rows, objects);

    const baseline = median(reloads);
    const pick = (k: keyof (typeof restores)[number]) => median(restores.map((r) => r[k]));
    return report(
      {
        name: 'services-restore',
        figures: [
          figure({ figure: `restore from snapshot, median of ${iterations}`, value: pick('total'), unit: 'ms', baseline, target: { below: TARGET_MS } }),
          figure({ figure: `restore from snapshot, slowest of ${iterations}`, value: Math.max(...restores.map((r) => r.total)), unit: 'ms', baseline: Math.max(...reloads) }),
          figure({ figure: 'restore: mysql part, median', value: pick('mysql'), unit: 'ms' }),
          figure({ figure: 'restore: postgres part, median', value: pick('postgres'), unit: 'ms' }),
          figure({ figure: 'restore: s3 part, median', value: pick('s3'), unit: 'ms' }),
          figure({ figure: 'first postgres query after restore (new connection), median', value: pick('firstQuery'), unit: 'ms' }),
          figure({ figure: 'snapshot (once)', value: snapshotMs, unit: 'ms' }),
        ],
      },
      args,
      [
        `data: 3 MySQL + 3 Postgres tables of ${rows} rows, ${objects} S3 objects of 4 KB; the services' parts restore in parallel`,
        `baseline: drop + re-create the databases and bucket, then loadFixtures(), median of ${baselineIterations}`,
        `load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (the machine's shared PostgreSQL and MariaDB run with fsync on)`,
      ],
    );
  } finally {
    await svc.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** Inserts, updates and deletes in every database, and object churn, as a test would leave. */
async function actLikeATest(svc: BenchServices, i: number): Promise<void> {
  const my = (sql: string) => svc.mysql.pool.query(sql);
  await my("INSERT INTO nps (score, comment, created_at) VALUES (10, 'bench', '2021-03-01'), (1, NULL, '2021-03-01')");
  await my(`UPDATE orders SET status = 'refunded' WHERE id <= ${10 + i}`);
  await my('DELETE FROM customers WHERE id > 900');
  await svc.postgres.pool.query(`
    INSERT INTO raw_data.nps (score, comment, created_at) VALUES (10, 'bench', '2021-03-01');
    UPDATE raw_data.orders SET status = 'refunded' WHERE id <= ${10 + i};
    DELETE FROM raw_data.customers WHERE id > 900;
    CREATE TABLE raw_data.scratch_${i} (x INT);`);
  const { client, bucket } = svc.s3;
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: `new/${i}.csv`, Body: 'id\n1\n' }));
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'nps/2021-02-01.csv', Body: 'overwritten' }));
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'nps/2021-02-02.csv' }));
}

/** The baseline's first half: every service empty again, as at session start. */
async function recreateEmpty(svc: BenchServices): Promise<void> {
  const db = mysql.escapeId(svc.mysql.database);
  await svc.mysqlAdmin.query(`DROP DATABASE ${db}`);
  await svc.mysqlAdmin.query(`CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
  // Pooled connections lost their default database with the DROP: a new pool, as a reload needs.
  const old = svc.mysql.pool;
  svc.mysql.pool = svc.newMysqlPool();
  await old.end();
  const pgDb = `"${svc.postgres.database}"`;
  await svc.postgres.reconnect(async () => {
    await svc.postgres.admin.query(`DROP DATABASE ${pgDb} WITH (FORCE)`);
    await svc.postgres.admin.query(`CREATE DATABASE ${pgDb}`);
  });
  await emptyAndDeleteBucket(svc.s3.client, svc.s3.bucket);
  await svc.s3.client.send(new CreateBucketCommand({ Bucket: svc.s3.bucket }));
}

async function assertRestored(svc: BenchServices, rows: number, objects: number): Promise<void> {
  const [[my]] = await svc.mysql.pool.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n, SUM(status = 'refunded') AS r FROM orders");
  const pg = await svc.postgres.pool.query<{ n: string }>('SELECT count(*) AS n FROM raw_data.customers');
  const listed = await svc.s3.client.send(new ListObjectsV2Command({ Bucket: svc.s3.bucket }));
  if (Number(my!.n) !== rows || Number(my!.r) !== 0 || Number(pg.rows[0]!.n) !== rows || listed.KeyCount !== objects) {
    throw new Error(
      `expected the fixtures as loaded (${rows} rows per table, ${objects} objects), found MySQL orders ${my!.n} (${my!.r} refunded), ` +
        `Postgres customers ${pg.rows[0]!.n}, ${listed.KeyCount} objects: the restore is wrong; run the snapshot tests.`,
    );
  }
}

async function writeFixtures(dir: string, rows: number, objects: number): Promise<string> {
  const files: Record<string, string> = {
    'mysql/001_schema.sql': `
CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), created_at DATETIME NOT NULL);
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, status VARCHAR(20) NOT NULL,
  created_at DATETIME NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers(id));
CREATE TABLE nps (id INT AUTO_INCREMENT PRIMARY KEY, score INT NOT NULL, comment TEXT, created_at DATE NOT NULL);`,
    'postgres/001_schema.sql': `
CREATE SCHEMA raw_data;
CREATE TABLE raw_data.customers (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT, created_at TIMESTAMP NOT NULL);
CREATE TABLE raw_data.orders (id SERIAL PRIMARY KEY, customer_id INT NOT NULL REFERENCES raw_data.customers(id), amount NUMERIC(10,2) NOT NULL,
  status TEXT NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE raw_data.nps (id SERIAL PRIMARY KEY, score INT NOT NULL, comment TEXT, created_at DATE NOT NULL);`,
  };
  const range = Array.from({ length: rows }, (_, i) => i + 1);
  const day = (i: number) => `2021-02-${String((i % 28) + 1).padStart(2, '0')}`;
  const customers = ['id,name,email,created_at', ...range.map((i) => `${i},고객 ${i},c${i}@example.com,${day(i)} 10:00:00`)].join('\n');
  const orders = ['id,customer_id,amount,status,created_at', ...range.map((i) => `${i},${(i % 100) + 1},${(i * 1.37).toFixed(2)},paid,${day(i)} 12:00:00`)].join('\n');
  const nps = ['id,score,comment,created_at', ...range.map((i) => `${i},${i % 11},${i % 7 === 0 ? '' : `"좋아요, ${i}"`},${day(i)}`)].join('\n');
  for (const [service, schema] of [['mysql', 'customers'], ['postgres', 'raw_data.customers']] as const) {
    files[`${service}/${schema}.csv`] = `${customers}\n`;
    files[`${service}/${schema.replace('customers', 'orders')}.csv`] = `${orders}\n`;
    files[`${service}/${schema.replace('customers', 'nps')}.csv`] = `${nps}\n`;
  }
  const body = `id,score\n${'1,9\n'.repeat(1024)}`.slice(0, 4096);
  for (let i = 0; i < objects; i++) files[`s3/_/nps/2021-02-${String(i + 1).padStart(2, '0')}.csv`] = body;
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function startServices(work: string): Promise<BenchServices> {
  const id = shortId();
  const database = `dgbx_bench_${id}`;
  const myUrl = new URL(process.env.DAGBOX_BENCH_MYSQL ?? 'mysql://root@127.0.0.1:3306');
  const pgUrl = new URL(process.env.DAGBOX_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const my = { host: myUrl.hostname, port: Number(myUrl.port || 3306), user: decodeURIComponent(myUrl.username), password: decodeURIComponent(myUrl.password) };
  const pg = { host: pgUrl.hostname, port: Number(pgUrl.port || 5432), user: decodeURIComponent(pgUrl.username), password: decodeURIComponent(pgUrl.password) || undefined };

  const mysqlAdmin = mysql.createPool({ ...my, connectionLimit: 2 });
  await mysqlAdmin.query(`CREATE DATABASE ${mysql.escapeId(database)} CHARACTER SET utf8mb4`);
  const newMysqlPool = () => mysql.createPool({ ...my, database, connectionLimit: 4 });
  const mysqlClients: MysqlClients = { pool: newMysqlPool(), database };
  const postgres = createPostgresClients({ config: { ...pg, database, max: 4 }, adminDatabase: pgUrl.pathname.slice(1) || 'postgres' });
  await postgres.admin.query(`CREATE DATABASE "${database}"`);

  const s3Dir = join(work, 's3rver');
  await mkdir(s3Dir);
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory: s3Dir, silent: true }) as unknown as S3rverServer;
  const { port } = await server.run();
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = `dgbx-bench-${id}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));

  return {
    mysql: mysqlClients,
    postgres,
    s3: { client, bucket },
    mysqlAdmin,
    newMysqlPool,
    async close() {
      await mysqlClients.pool.end().catch(() => {});
      await mysqlAdmin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`);
      // Snapshot copies are named after the database they copy (dgbx_snap_<id>_<n>_<database>).
      const [left] = await mysqlAdmin.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`dgbx\\_snap\\_%${database}`]);
      for (const { name } of left) await mysqlAdmin.query(`DROP DATABASE ${mysql.escapeId(name as string)}`);
      await mysqlAdmin.end();
      const { rows } = await postgres.admin.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE datname = $1 OR datname LIKE $2', [database, `dgbx\\_snap\\_%${database}`]);
      for (const { name } of rows) await postgres.admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      await postgres.end();
      client.destroy();
      await server.close();
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
