import mysql from 'mysql2/promise';
import type { ServiceEndpoint } from '../handle.ts';
import type { StartedService } from '../types.ts';

/**
 * A mysql2 pool on the session database of a started MySQL service.
 *
 * ```ts
 * const pool = createMysqlPool(services.mysql);
 * await pool.query('select 1');
 * await pool.end();
 * ```
 */
export function createMysqlPool(service: StartedService, options: mysql.PoolOptions = {}): mysql.Pool {
  const pool = mysql.createPool({ ...clientConfig(service), connectionLimit: 5, ...options });
  // Idle connections error when the session stops the server; queries still fail loudly.
  pool.on('connection', (connection) => connection.on('error', () => {}));
  return pool;
}

/** Connection settings for mysql2, on `database` (default: the endpoint's; null: none). */
export function clientConfig(e: ServiceEndpoint, database: string | null = e.database): mysql.ConnectionOptions {
  return {
    host: e.host,
    port: e.port,
    user: e.username,
    password: e.password,
    ...(database ? { database } : {}),
    connectTimeout: 5_000,
  };
}

/** Runs `work` with one connection (no default database unless given), and always disconnects. */
export async function withMysqlConnection<T>(
  e: ServiceEndpoint,
  database: string | null,
  work: (c: mysql.Connection) => Promise<T>,
): Promise<T> {
  const connection = await mysql.createConnection(clientConfig(e, database));
  connection.on('error', () => {});
  try {
    return await work(connection);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/** Readiness probe: connect and `SELECT 1`. */
export function mysqlProbe(e: ServiceEndpoint, database: string | null = e.database): () => Promise<void> {
  return () => withMysqlConnection(e, database, async (c) => void (await c.query('SELECT 1')));
}

/**
 * MySQL/MariaDB errors that are final for a connection: access denied to a database (1044) or for
 * a user (1045, 1698), unknown database (1049), host not allowed (1130), authentication protocol
 * refused (1251), password expired (1820, 1862).
 */
const FINAL_MYSQL_ERRNOS = new Set([1044, 1045, 1049, 1130, 1251, 1698, 1820, 1862]);

/** Whether a MySQL error is the server's final answer to a connection attempt. */
export function isFinalMysqlError(error: unknown): boolean {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' && FINAL_MYSQL_ERRNOS.has(errno);
}
