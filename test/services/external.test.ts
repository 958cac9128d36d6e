import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, createMysqlPool, createPostgresPool, createS3Client, reapStale } from '../../src/services/index.ts';
import type { StartedService } from '../../src/services/index.ts';
import { Ownership } from '../../src/services/ownership.ts';
import { testContext } from './helpers/context.ts';
import type { TestContext } from './helpers/context.ts';

// The machine's own servers (started by .ci/services.sh in CI). Override to point elsewhere.
const POSTGRES_URI = process.env.DAGBOX_TEST_POSTGRES_URI ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_URI = process.env.DAGBOX_TEST_MYSQL_URI ?? 'mysql://root@127.0.0.1:3306/test';

async function postgresDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URI });
  await client.connect();
  try {
    return (await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'dagbox\\_%'")).rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

async function mysqlDatabases(): Promise<string[]> {
  const connection = await mysql.createConnection(MYSQL_URI);
  try {
    const [rows] = await connection.query("SHOW DATABASES LIKE 'dagbox\\_%'");
    return (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0] as string);
  } finally {
    await connection.end();
  }
}

/** The error a promise rejects with (failing the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

describe('external provider: postgres at the machine server', () => {
  it('creates dagbox_<session>, serves it, and drops it on stop even with a client still connected', async () => {
    const ctx = testContext();
    try {
      const service = await BACKENDS.postgres.startExternal(ctx, POSTGRES_URI);
      expect(service.database).toBe(`dagbox_${ctx.session}`);
      expect(service.provider).toBe('external');
      expect(await postgresDatabases()).toContain(service.database);
      expect(ctx.ownership.snapshot().externals).toEqual([{ kind: 'postgres', endpoint: '127.0.0.1:5432', name: service.database }]);
      const pool = createPostgresPool(service);
      await pool.query('CREATE TABLE t (id int)');
      expect((await pool.query('SELECT current_database() AS db')).rows[0]).toEqual({ db: service.database });
      await service.stop();
      await pool.end();
      expect(await postgresDatabases()).not.toContain(service.database);
      expect(ctx.ownership.snapshot().externals).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });
});

describe('external provider: mysql at the machine server', () => {
  it('creates dagbox_<session>, serves it, and drops it on stop', async () => {
    const ctx = testContext();
    try {
      const service = await BACKENDS.mysql.startExternal(ctx, MYSQL_URI);
      expect(service.database).toBe(`dagbox_${ctx.session}`);
      expect(await mysqlDatabases()).toContain(service.database);
      const pool = createMysqlPool(service);
      await pool.query('CREATE TABLE t (id int)');
      const [rows] = await pool.query('SELECT database() AS db');
      expect((rows as unknown[])[0]).toEqual({ db: service.database });
      await pool.end();
      await service.stop();
      expect(await mysqlDatabases()).not.toContain(service.database);
    } finally {
      ctx.cleanup();
    }
  });
});

describe('external provider: s3 at a server given by URI', () => {
  let serverCtx: TestContext;
  let server: StartedService;

  beforeAll(async () => {
    serverCtx = testContext();
    server = await BACKENDS.s3.startLocal(serverCtx);
  });

  afterAll(async () => {
    await server?.stop();
    serverCtx?.cleanup();
  });

  const uri = () => `http://${server.username}:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}`;

  it('creates the bucket dagbox-<session>, and on stop deletes its objects and the bucket', async () => {
    const ctx = testContext();
    try {
      const service = await BACKENDS.s3.startExternal(ctx, uri());
      expect(service.database).toBe(`dagbox-${ctx.session}`);
      const s3 = createS3Client(service);
      await s3.send(new PutObjectCommand({ Bucket: service.database, Key: 'a/b.csv', Body: 'x\n' }));
      await service.stop();
      const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
      s3.destroy();
      expect(buckets).toEqual(['dagbox']);
    } finally {
      ctx.cleanup();
    }
  });

  it("accepts Airflow's aws:// form with endpoint_url", async () => {
    const ctx = testContext();
    try {
      const airflow = `aws://${server.username}:${encodeURIComponent(server.password)}@/?endpoint_url=${encodeURIComponent(server.getConnectionUri())}&region_name=us-east-1`;
      await using service = await BACKENDS.s3.startExternal(ctx, airflow);
      expect(service.connection('aws').extra).toMatchObject({ endpoint_url: server.getConnectionUri(), region_name: 'us-east-1' });
    } finally {
      ctx.cleanup();
    }
  });
});

describe('external provider: credentials and leftovers', () => {
  it('never shows the given password in errors', async () => {
    const ctx = testContext();
    try {
      const uri = 'postgres://postgres:Sup3rSecretPw@127.0.0.1:1/postgres';
      const error = await rejection(BACKENDS.postgres.startExternal(ctx, uri, { timeoutMs: 200 }));
      expect(error.message).toContain('postgres://postgres:***@127.0.0.1:1/postgres');
      expect(error.message).toContain('not accepting Postgres connections after 200ms');
      expect(error.message).not.toContain('Sup3rSecretPw');
      const bad = await rejection(BACKENDS.mysql.startExternal(ctx, 'mysql://root:Sup3rSecretPw@127.0.0.1:3306/test', { timeoutMs: 200 }));
      expect(bad.message).toContain('mysql://root:***@127.0.0.1:3306/test');
      expect(bad.message).not.toContain('Sup3rSecretPw');
    } finally {
      ctx.cleanup();
    }
  });

  // Regression (issue 15): a wrong password was retried for the whole 10 s timeout. The timeout here
  // is a guard ten minutes long: an answer that is not taken as final makes the test time out.
  it('takes an authentication or unknown-database answer as final, without waiting out the timeout', async () => {
    const ctx = testContext();
    const guard = { timeoutMs: 600_000 };
    try {
      const pgUnknown = await rejection(BACKENDS.postgres.startExternal(ctx, POSTGRES_URI.replace(/\/[^/]*$/, '/no_such_db_dgbx'), guard));
      expect(pgUnknown.message).toMatch(/^postgres: could not connect on the external server .*: Port \d+ on [\d.]+ not accepting Postgres connections: the server answered "database \\?"no_such_db_dgbx\\?" does not exist", which retrying does not change/);
      const myDenied = await rejection(BACKENDS.mysql.startExternal(ctx, 'mysql://root:Wr0ngPassw0rd@127.0.0.1:3306/test', guard));
      expect(myDenied.message).toMatch(/the server answered "Access denied for user 'root'@'[^']+' \(using password: YES\)", which retrying does not change/);
      expect(myDenied.message).not.toContain('Wr0ngPassw0rd');
      const myUnknown = await rejection(BACKENDS.mysql.startExternal(ctx, MYSQL_URI.replace(/\/[^/]*$/, '/no_such_db_dgbx'), guard));
      expect(myUnknown.message).toMatch(/the server answered "Unknown database 'no_such_db_dgbx'", which retrying does not change/);
    } finally {
      ctx.cleanup();
    }
  });

  it('drops the databases a killed session left behind when the same server is used again', async () => {
    const dead = testContext();
    const next = testContext();
    try {
      // A session that created its databases and was then killed: its record names them, its pid is gone.
      const victim = { ...dead, ownership: new Ownership(dead.stateDir, dead.session) };
      await BACKENDS.postgres.startExternal(victim, POSTGRES_URI);
      await BACKENDS.mysql.startExternal(victim, MYSQL_URI);
      const ghost = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      writeFileSync(victim.ownership.file, JSON.stringify({ ...victim.ownership.snapshot(), owner: { pid: Number(ghost.stdout), startTime: null } }));
      const name = `dagbox_${dead.session}`;
      expect(await postgresDatabases()).toContain(name);
      expect(await mysqlDatabases()).toContain(name);

      const { leftovers } = await reapStale(dead.stateDir, next.log);
      await using _pg = await BACKENDS.postgres.startExternal({ ...next, leftovers }, POSTGRES_URI);
      await using _my = await BACKENDS.mysql.startExternal({ ...next, leftovers }, MYSQL_URI);
      expect(await postgresDatabases()).not.toContain(name);
      expect(await mysqlDatabases()).not.toContain(name);
      expect(next.lines).toContain(`postgres: dropped ${name} on 127.0.0.1:5432, left behind by a session that ended without stopping its services`);
      expect(existsSync(victim.ownership.file)).toBe(false);
    } finally {
      dead.cleanup();
      next.cleanup();
    }
  });
});
