import type { S3Client } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Connection } from '../config/connection.ts';
import type { Connections, ServiceHooks } from '../dag/types.ts';
import { createS3ClientFor } from '../services/s3/client.ts';
import { createWarehouse } from '../warehouse/index.ts';

/** mysql2 pool options every dagbox MySQL pool shares, so values read the same in any process. */
export const MYSQL_POOL_OPTIONS: mysql.PoolOptions = { supportBigNumbers: true, connectionLimit: 8 };

/** Where the hooks get their clients: getters, so a client can be made on first use or replaced (restore). */
export interface HookClients {
  mysql: () => mysql.Pool;
  postgres: () => pg.Pool;
  s3: () => S3Client;
  bucket: string;
  fixturesDir?: string | null;
}

/**
 * The task-context members a session's services provide, from its clients: `ctx.mysql()`,
 * `ctx.postgres()`, `ctx.warehouse()` (the same Postgres speaking Redshift, made on first use),
 * `ctx.s3()`, `ctx.bucket` and `ctx.fixturesDir`. One builder for the session (its own clients)
 * and the dev worker (clients from the connections).
 */
export function serviceHooks(clients: HookClients): () => Partial<ServiceHooks> & { fixturesDir?: string } {
  let warehouse: pg.Pool | undefined;
  const members = {
    mysql: clients.mysql,
    postgres: clients.postgres,
    warehouse: () => (warehouse ??= createWarehouse({ pool: clients.postgres, s3: clients.s3(), sessionBucket: clients.bucket })),
    s3: clients.s3,
    bucket: clients.bucket,
    ...(clients.fixturesDir ? { fixturesDir: clients.fixturesDir } : {}),
  };
  return () => members;
}

/** Service hooks built from connections, with clients made on first use and closed by `close()`. */
export interface ConnectionHooks {
  hooks(): Partial<ServiceHooks> & { fixturesDir?: string };
  close(): Promise<void>;
}

/**
 * Task-context hooks (`ctx.mysql()`, `ctx.postgres()`, `ctx.warehouse()` — the same Postgres
 * speaking Redshift —, `ctx.s3()`, `ctx.bucket`, and `ctx.fixturesDir` when given) from the
 * session's connections (`mysql`, `postgres`, `s3`). Used where the session's own clients
 * are not at hand, such as the dev loop's worker thread; clients open lazily and `close()` ends them
 * (a snapshot restore needs every connection to the warehouse closed).
 */
export function connectionHooks(connections: Connections, bucket: string, fixturesDir: string | null = null): ConnectionHooks {
  let mysqlPool: mysql.Pool | undefined;
  let pgPool: pg.Pool | undefined;
  let s3: S3Client | undefined;
  const get = (id: string): Connection => connections.get(id);
  return {
    hooks: serviceHooks({
      mysql: () => (mysqlPool ??= mysqlPoolFor(get('mysql'))),
      postgres: () => (pgPool ??= postgresPool(get('postgres'))),
      s3: () => (s3 ??= s3ClientFor(get('s3'))),
      bucket,
      fixturesDir,
    }),
    async close() {
      const ending = [mysqlPool?.end(), pgPool?.end()];
      s3?.destroy();
      await Promise.allSettled(ending);
    },
  };
}

function mysqlPoolFor(c: Connection): mysql.Pool {
  const pool = mysql.createPool({
    ...MYSQL_POOL_OPTIONS,
    host: c.host ?? '127.0.0.1',
    port: c.port ?? 3306,
    user: c.login ?? undefined,
    password: c.password ?? undefined,
    database: c.schema ?? undefined,
  });
  pool.on('connection', (conn) => conn.on('error', () => {}));
  return pool;
}

function postgresPool(c: Connection): pg.Pool {
  const pool = new pg.Pool({
    host: c.host ?? '127.0.0.1',
    port: c.port ?? 5432,
    user: c.login ?? undefined,
    password: c.password ?? undefined,
    database: c.schema ?? undefined,
    max: 8,
  });
  // An idle client errors when the server closes it (a restore drops the database); queries still fail loudly.
  pool.on('error', () => {});
  return pool;
}

function s3ClientFor(c: Connection): S3Client {
  const endpoint = c.extra.endpoint_url;
  if (typeof endpoint !== 'string') {
    throw new Error(`connection "${c.connId}" has no endpoint_url extra; dagbox talks only to the session's S3 server`);
  }
  return createS3ClientFor({
    endpoint,
    region: typeof c.extra.region_name === 'string' ? c.extra.region_name : undefined,
    accessKeyId: c.login ?? '',
    secretAccessKey: c.password ?? '',
  });
}
