import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type { Pool as PgPool } from 'pg';
import { mysqlScope, s3Scope, type ServiceClients } from '../snapshot/service-clients.ts';

/**
 * The session's services as verification reads them. Getters, never values: the Postgres pool is
 * replaced by every snapshot and restore, and fixtures add MySQL databases to the scope.
 */
export interface VerifyDb {
  readonly postgres: { pool(): PgPool; readonly database: string } | null;
  readonly mysql: { readonly pool: MysqlPool; readonly database: string; schemas(): string[] } | null;
  readonly s3: { readonly client: S3Client; buckets(): string[] } | null;
}

/** The {@link VerifyDb} of a session's clients (`session.clients`). */
export function verifyDb(clients: Partial<ServiceClients>): VerifyDb {
  const { postgres, mysql, s3 } = clients;
  return {
    postgres: postgres ? { pool: () => postgres.pool, database: postgres.database } : null,
    mysql: mysql ? { pool: mysql.pool, database: mysql.database, schemas: () => mysqlScope(mysql) } : null,
    s3: s3 ? { client: s3.client, buckets: () => s3Scope(s3) } : null,
  };
}

/** The same for S3 bucket names, which cannot hold `_`. */
export const OWN_BUCKET_PREFIX = 'dgbx-';
