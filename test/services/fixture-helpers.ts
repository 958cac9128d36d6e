/**
 * Test services for the fixture and snapshot tests: a database of our own on the machine's
 * MariaDB (127.0.0.1:3306, root) and PostgreSQL (127.0.0.1:5432, postgres), and an in-process
 * s3rver on a temp dir. `close()` drops everything it made, including snapshot copies named
 * after its databases.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import S3rver from 's3rver';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresClients, type OwnedPostgresClients } from '../../src/snapshot/postgres-clients.ts';
import type { ServiceClients } from '../../src/snapshot/service-clients.ts';

export const MYSQL_URL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
export const PG_URL = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** The part of s3rver's API used here (it ships no type declarations for these). */
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

/** ServiceClients on throwaway databases and an s3rver, plus what tests need to inspect them. */
export interface TestServices extends ServiceClients {
  postgres: OwnedPostgresClients;
  /** A MySQL pool with no default database, for DDL across databases. */
  mysqlAdmin: mysql.Pool;
  /** The suffix every database and bucket of this instance carries. */
  id: string;
  close(): Promise<void>;
}

/** Start a fresh set of test services; if a step fails, what was made so far is removed. */
export async function startTestServices(options: { drainTimeoutMs?: number } = {}): Promise<TestServices> {
  const id = randomBytes(4).toString('hex');
  const database = `dgbx_t_${id}`;
  const undo: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const step of undo.reverse()) await step().catch(() => {});
  };
  try {
    const mysqlAdmin = mysql.createPool({ ...MYSQL_URL, connectionLimit: 2 });
    undo.push(() => mysqlAdmin.end(), () => dropMysqlDatabases(mysqlAdmin, id));
    await mysqlAdmin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const mysqlPool = mysql.createPool({ ...MYSQL_URL, database, connectionLimit: 4 });
    undo.push(() => dropPgDatabases(id), () => mysqlPool.end());

    const pgAdmin = new pg.Client({ ...PG_URL, database: 'postgres' });
    await pgAdmin.connect();
    await pgAdmin.query(`CREATE DATABASE "${database}"`).finally(() => pgAdmin.end());
    const postgres = createPostgresClients({ config: { ...PG_URL, database, max: 4 }, drainTimeoutMs: options.drainTimeoutMs });
    undo.push(() => postgres.end());

    const dir = await mkdtemp(join(tmpdir(), 'dgbx-s3rver-'));
    undo.push(() => rm(dir, { recursive: true, force: true }));
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true }) as unknown as S3rverServer;
    const address = await server.run();
    undo.push(() => server.close());
    const client = makeS3Client(address.port);
    undo.push(async () => client.destroy());
    const bucket = `dgbx-t-${id}`;
    await client.send(new CreateBucketCommand({ Bucket: bucket }));

    return { id, mysqlAdmin, mysql: { pool: mysqlPool, database, schemas: [`${database}_prod`] }, postgres, s3: { client, bucket }, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The S3 client the issue prescribes (path style; checksums only where required, for s3rver). */
export function makeS3Client(port: number): S3Client {
  return new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function dropMysqlDatabases(admin: mysql.Pool, id: string): Promise<void> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>(
    'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?',
    [`%dgbx\\_t\\_${id}%`],
  );
  for (const row of rows) await admin.query(`DROP DATABASE \`${row.name as string}\``);
}

async function dropPgDatabases(id: string): Promise<void> {
  const admin = new pg.Client({ ...PG_URL, database: 'postgres' });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE datname LIKE $1', [`%dgbx\\_t\\_${id}%`]);
    for (const row of rows) await admin.query(`DROP DATABASE "${row.name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Every database name on both servers that mentions `id` (to prove nothing was left behind). */
export async function databasesMentioning(id: string): Promise<{ mysql: string[]; postgres: string[] }> {
  const admin = new pg.Client({ ...PG_URL, database: 'postgres' });
  await admin.connect();
  const { rows } = await admin.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [`%${id}%`]);
  await admin.end();
  const conn = await mysql.createConnection(MYSQL_URL);
  const [my] = await conn.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY 1', [`%${id}%`]);
  await conn.end();
  return { mysql: my.map((r) => r.name as string), postgres: rows.map((r) => r.name) };
}

// ---- state dumps: everything a restore must bring back, as plain JSON-comparable values ----

/** Tables (SHOW CREATE, rows in primary-key order), views and triggers of MySQL databases. */
export async function dumpMysql(pool: mysql.Pool, schemas: readonly string[]): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const schema of schemas) {
    const [exists] = await pool.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema]);
    if (exists.length === 0) {
      out[schema] = null;
      continue;
    }
    const [objects] = await pool.query<mysql.RowDataPacket[]>(
      'SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [schema],
    );
    const tables: Record<string, unknown> = {};
    for (const { name, type } of objects) {
      const [[create]] = await pool.query<mysql.RowDataPacket[]>(`SHOW CREATE TABLE \`${schema}\`.\`${name}\``);
      if (type === 'VIEW') {
        tables[name] = { view: create!['Create View'] };
        continue;
      }
      const [rows] = await pool.query<mysql.RowDataPacket[]>(`SELECT * FROM \`${schema}\`.\`${name}\` ORDER BY 1`);
      tables[name] = { ddl: create!['Create Table'], rows: rows.map((r) => ({ ...r })) };
    }
    const [triggers] = await pool.query<mysql.RowDataPacket[]>(
      'SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT, ACTION_ORDER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1',
      [schema],
    );
    out[schema] = { tables, triggers: triggers.map((t) => ({ ...t })) };
  }
  return out;
}

/** Every user table's definition (columns) and rows, views, and sequence positions of the Postgres database. */
export async function dumpPostgres(pool: pg.Pool): Promise<unknown> {
  const { rows: tables } = await pool.query<{ schema: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'v', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
  );
  const out: Record<string, unknown> = {};
  for (const t of tables) {
    const name = `"${t.schema}"."${t.name}"`;
    if (t.kind === 'v') {
      out[name] = (await pool.query('SELECT pg_get_viewdef($1::regclass) AS def', [name])).rows[0];
    } else if (t.kind === 'S') {
      out[name] = (await pool.query(`SELECT last_value, is_called FROM ${name}`)).rows[0];
    } else {
      const { rows: columns } = await pool.query(
        'SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        [t.schema, t.name],
      );
      out[name] = { columns, rows: (await pool.query(`SELECT * FROM ${name} ORDER BY 1`)).rows };
    }
  }
  return out;
}

/** Every object of the buckets: key, ETag, content type and body. */
export async function dumpS3(client: S3Client, buckets: readonly string[]): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const bucket of buckets) {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    } catch {
      out[bucket] = null;
      continue;
    }
    const objects: Record<string, unknown> = {};
    for (const o of page.Contents ?? []) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      objects[o.Key!] = { etag: o.ETag, type: got.ContentType, body: await got.Body!.transformToString() };
    }
    out[bucket] = objects;
  }
  return out;
}
