import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type { Pool as PgPool } from 'pg';

/**
 * The MySQL side of a session, as fixtures and snapshots need it.
 *
 * `pool` may be shared with DAG tasks; snapshot, restore and loadFixtures borrow one connection
 * from it and give it back with its session variables reset.
 */
export interface MysqlClients {
  /** A mysql2 pool on the server (its default database is normally `database`). */
  pool: MysqlPool;
  /** The session database: the one DAGs use, and the default for fixtures and snapshots. */
  database: string;
  /**
   * Other databases (MySQL schemas) the session owns, e.g. `prod` for a pipeline that reads
   * `prod.nps`. Snapshots cover `database` and these; a listed database that does not exist at
   * snapshot time is dropped on restore if it exists by then.
   */
  schemas?: readonly string[];
}

/**
 * The Postgres side of a session.
 *
 * `CREATE DATABASE ... TEMPLATE` needs the template to have no connections, so snapshot and
 * restore must close the pool's connections to `database` first and open new ones after: the
 * owner of the pool cooperates through `reconnect`. Read `pool` at every use (never keep it in a
 * variable across a snapshot or restore): after `reconnect` it is a new Pool.
 * {@link createPostgresClients} builds an object that does all this.
 */
export interface PostgresClients {
  /** The current pool on `database`; replaced by `reconnect`. */
  readonly pool: PgPool;
  /** The session database (the warehouse DAGs write to). */
  readonly database: string;
  /**
   * A pool on a maintenance database of the same server (normally `postgres`), as a role that
   * may CREATE DATABASE; it never connects to `database`. Give it at least 3 connections: a
   * snapshot makes and drops copies in the background on it while a restore needs one too.
   */
  readonly admin: PgPool;
  /**
   * Close every pooled connection to `database`, run `during` (which drops, copies or re-creates
   * that database), then open a fresh pool. Must reject, without running `during`, when the pool
   * cannot be drained (a client is still checked out).
   */
  reconnect(during: () => Promise<void>): Promise<void>;
}

/**
 * The S3 side of a session. `client` must be made with `forcePathStyle: true` and
 * `requestChecksumCalculation` / `responseChecksumValidation` set to `'WHEN_REQUIRED'`
 * (s3rver otherwise stores the SDK's aws-chunked framing for streamed puts).
 */
export interface S3Clients {
  client: S3Client;
  /** The session bucket (fixtures under `fixtures/s3/_/` go here). */
  bucket: string;
  /** Other buckets the session owns; snapshots cover `bucket` and these. */
  buckets?: readonly string[];
}

/**
 * What fixtures and snapshots get from a session: clients, not service handles, so they work
 * the same whichever way (container, local process, given URL) the service was provided.
 * Functions take `Partial<ServiceClients>` and act on the services present.
 */
export interface ServiceClients {
  mysql: MysqlClients;
  postgres: PostgresClients;
  s3: S3Clients;
}

/** The name of one service, as used in reports and errors. */
export type ServiceName = keyof ServiceClients;

/** The services in the order reports list them. */
export const SERVICE_NAMES: readonly ServiceName[] = ['mysql', 'postgres', 's3'];

/** The databases a MySQL snapshot covers: `database` then `schemas`, without repeats. */
export function mysqlScope(mysql: MysqlClients): string[] {
  return [...new Set([mysql.database, ...(mysql.schemas ?? [])])];
}

/** The buckets an S3 snapshot covers: `bucket` then `buckets`, without repeats. */
export function s3Scope(s3: S3Clients): string[] {
  return [...new Set([s3.bucket, ...(s3.buckets ?? [])])];
}
