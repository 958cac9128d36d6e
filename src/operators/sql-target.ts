import mysql from 'mysql2/promise';
import type { Pool as MysqlPool } from 'mysql2/promise';
import pg from 'pg';
import type { Pool as PgPool } from 'pg';
import type { Connection } from '../config/connection.ts';
import type { TaskContext } from '../dag/types.ts';
import { createWarehouse } from '../warehouse/index.ts';

/** A database an operator talks to, by connection id. */
export type SqlTarget =
  | { readonly dialect: 'mysql'; readonly connId: string; readonly pool: MysqlPool }
  | { readonly dialect: 'postgres'; readonly connId: string; readonly pool: PgPool; readonly redshift: boolean };

/** The connection ids a session provides, and which service each one is. */
const SESSION_IDS: Record<string, 'mysql' | 'postgres' | 'warehouse'> = { mysql: 'mysql', postgres: 'postgres', redshift: 'warehouse' };

/**
 * Run `work` against the database of connection `connId`:
 *
 * - `mysql` is the session's MySQL (`ctx.mysql()`), `postgres` its Postgres as a plain pool
 *   (`ctx.postgres()`), and `redshift` the same Postgres speaking Redshift (`ctx.warehouse()`:
 *   COPY from S3, UNLOAD, GETDATE(), #temp).
 * - Any other id is looked up in the Connections (`DAGBOX_CONN_<ID>`, dagbox.config.ts): conn type
 *   `mysql`, `postgres` or `redshift` (which also speaks Redshift, with the session's S3). A pool is
 *   opened for the task and closed after `work`.
 */
export async function withSqlTarget<T>(ctx: TaskContext, connId: string, work: (target: SqlTarget) => Promise<T>): Promise<T> {
  const session = sessionTarget(ctx, connId);
  if (session) return work(session);
  const connection = ctx.connections.get(connId);
  const { target, close } = openConnection(ctx, connection);
  try {
    return await work(target);
  } finally {
    await close();
  }
}

function sessionTarget(ctx: TaskContext, connId: string): SqlTarget | null {
  const service = SESSION_IDS[connId.toLowerCase()];
  if (!service) return null;
  try {
    if (service === 'mysql') return { dialect: 'mysql', connId, pool: ctx.mysql() };
    return { dialect: 'postgres', connId, pool: service === 'warehouse' ? ctx.warehouse() : ctx.postgres(), redshift: service === 'warehouse' };
  } catch (error) {
    // No session services (--services none): a connection of that id may still be defined.
    if (ctx.connections.has(connId)) return null;
    throw error;
  }
}

function openConnection(ctx: TaskContext, c: Connection): { target: SqlTarget; close: () => Promise<void> } {
  const type = c.connType.toLowerCase();
  if (type === 'mysql') {
    const pool = mysql.createPool({ host: c.host ?? '127.0.0.1', port: c.port ?? 3306, user: c.login ?? undefined, password: c.password ?? undefined, database: c.schema ?? undefined, connectionLimit: 2 });
    return { target: { dialect: 'mysql', connId: c.connId, pool }, close: () => pool.end() };
  }
  if (type === 'postgres' || type === 'redshift') {
    const pool = new pg.Pool({ host: c.host ?? '127.0.0.1', port: c.port ?? 5432, user: c.login ?? undefined, password: c.password ?? undefined, database: c.schema ?? undefined, max: 2 });
    pool.on('error', () => {});
    const redshift = type === 'redshift';
    const target: SqlTarget = redshift
      ? { dialect: 'postgres', connId: c.connId, pool: createWarehouse({ pool: () => pool, s3: ctx.s3(), sessionBucket: ctx.bucket }), redshift }
      : { dialect: 'postgres', connId: c.connId, pool, redshift };
    return { target, close: () => pool.end() };
  }
  throw new Error(
    `connection "${c.connId}" has conn type "${c.connType}", but SQL operators need mysql, postgres or redshift; ` +
      `use the session's "mysql", "postgres" or "redshift" connection, or define "${c.connId}" with one of those types.`,
  );
}
