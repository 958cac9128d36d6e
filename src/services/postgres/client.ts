import pg from 'pg';
import type { ServiceEndpoint } from '../handle.ts';
import type { StartedService } from '../types.ts';

/**
 * A pg Pool on the session database of a started Postgres service.
 *
 * ```ts
 * const pool = createPostgresPool(services.postgres);
 * await pool.query('select 1');
 * await pool.end();
 * ```
 */
export function createPostgresPool(service: StartedService, options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(service), max: 5, ...options });
  // An idle client gets an error event when the session stops the server ("terminating connection due
  // to administrator command"); without a listener that would crash the process. Queries still fail loudly.
  pool.on('error', () => {});
  return pool;
}

/** Connection settings for pg, on `database` (default: the endpoint's). */
export function clientConfig(e: ServiceEndpoint, database = e.database): pg.ClientConfig {
  return { host: e.host, port: e.port, user: e.username, password: e.password, database, connectionTimeoutMillis: 5_000 };
}

/** Runs `work` with one client connected to `database` of the endpoint, and always disconnects. */
export async function withPostgresClient<T>(e: ServiceEndpoint, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(clientConfig(e, database));
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Readiness probe: connect and `SELECT 1`. */
export function postgresProbe(e: ServiceEndpoint, database = e.database): () => Promise<void> {
  return () => withPostgresClient(e, database, async (c) => void (await c.query('SELECT 1')));
}

/**
 * Whether a Postgres error is final for a connection: an authorization failure (SQLSTATE class 28,
 * e.g. 28P01 wrong password), an unknown database (3D000) or a missing CONNECT privilege (42501).
 */
export function isFinalPostgresError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('28') || code === '3D000' || code === '42501');
}
