import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { quoteMysqlIdent } from '../sql/identifiers.ts';

/** Seconds a snapshot or restore waits for a table lock before failing (instead of MySQL's default year). */
export const MYSQL_LOCK_WAIT_SECONDS = 10;

/** MySQL's "unknown system variable" (a MySQL 8 variable asked of MariaDB). */
const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

interface SavedSession extends RowDataPacket {
  sqlMode: string;
  fk: number;
  lockWait: number;
  db: string | null;
}

/**
 * Run `fn` on one connection borrowed from `pool`, set up for copying tables verbatim:
 * foreign key checks off (tables load in any order, cascades don't fire), sql_mode
 * NO_AUTO_VALUE_ON_ZERO (a 0 in an AUTO_INCREMENT column is kept, as mysqldump does) and a short
 * lock wait; on MySQL 8 also live information_schema statistics (AUTO_INCREMENT is read there).
 * The session is put back as it was (but for that MySQL 8 setting, harmless to keep) before the
 * connection returns to the pool; if that fails, or `fn` throws, the connection is destroyed.
 */
export async function withCopySession<T>(pool: Pool, fn: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  let reusable = false;
  try {
    const saved = await saveSession(conn);
    await conn.query(
      "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', SESSION foreign_key_checks = 0, SESSION lock_wait_timeout = ?",
      [MYSQL_LOCK_WAIT_SECONDS],
    );
    await liveTableStatistics(conn);
    const result = await fn(conn);
    reusable = await resetSession(conn, saved);
    return result;
  } finally {
    if (reusable) conn.release();
    else conn.destroy();
  }
}

/** Rows of a query, typed. */
export async function selectRows<T>(conn: PoolConnection, sql: string, values: unknown[] = []): Promise<T[]> {
  const [rows] = await conn.query<RowDataPacket[]>(sql, values);
  return rows as T[];
}

/** Whether a database (schema) exists. */
export async function schemaExists(conn: PoolConnection, schema: string): Promise<boolean> {
  const rows = await selectRows(conn, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema]);
  return rows.length > 0;
}

async function liveTableStatistics(conn: PoolConnection): Promise<void> {
  try {
    await conn.query('SET SESSION information_schema_stats_expiry = 0');
  } catch (error) {
    if ((error as { errno?: number }).errno !== ER_UNKNOWN_SYSTEM_VARIABLE) throw error;
  }
}

async function saveSession(conn: PoolConnection): Promise<SavedSession> {
  const rows = await selectRows<SavedSession>(
    conn,
    'SELECT @@SESSION.sql_mode AS sqlMode, @@SESSION.foreign_key_checks AS fk, @@SESSION.lock_wait_timeout AS lockWait, DATABASE() AS db',
  );
  return rows[0]!;
}

/** Put the session variables and default database back; false when the connection can't be reused. */
async function resetSession(conn: PoolConnection, saved: SavedSession): Promise<boolean> {
  if (saved.db === null) return false; // USE can't be undone, so a connection without a default database is closed
  try {
    await conn.query('SET SESSION sql_mode = ?, SESSION foreign_key_checks = ?, SESSION lock_wait_timeout = ?', [
      saved.sqlMode,
      saved.fk,
      saved.lockWait,
    ]);
    await conn.query(`USE ${quoteMysqlIdent(saved.db)}`);
    return true;
  } catch {
    return false; // e.g. the default database was dropped: closing the connection is the clean way out
  }
}
