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
