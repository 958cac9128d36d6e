import type { Pool } from 'pg';
import { SNAPSHOT_PREFIX, quotePgIdent, shortId, truncateBytes } from '../sql/identifiers.ts';
import { PostgresCopies } from './postgres-copies.ts';
import type { PostgresClients } from './service-clients.ts';

/**
 * A Postgres snapshot: a copy of the session database made with `CREATE DATABASE ... TEMPLATE`,
 * which refuses connections (ALLOW_CONNECTIONS false) so that nothing can block a copy from it,
 * and the spare copies made from it ahead of each restore.
 */
export interface PostgresSnapshot {
  /** The session database it was taken from. */
  readonly database: string;
  /** The copy (`dgbx_snap_<id>_<database>`), kept until the snapshot is dropped. */
  readonly template: string;
  /** `server_version_num`, which decides the DROP DATABASE options used. */
  readonly serverVersion: number;
  /** Spare copies made, and replaced databases dropped, in the background. */
  readonly copies: PostgresCopies;
}

interface DatabaseInfo {
  owner: string;
  me: string;
  version: string;
}

const INVALID_CATALOG_NAME = '3D000';

/**
 * Copy the session database to a template database, then start making the first spare copy.
 * Closes the pool's connections (through `reconnect`) and terminates any other connection to the
 * database, as CREATE DATABASE ... TEMPLATE requires.
 */
export async function snapshotPostgres(pg: PostgresClients): Promise<PostgresSnapshot> {
  const info = await databaseInfo(pg.admin, pg.database);
  const namePrefix = `${SNAPSHOT_PREFIX}${shortId()}`;
  // Named after the database so that whoever drops a session's databases can find its snapshots.
  const template = truncateBytes(`${namePrefix}_${pg.database}`, 63);
  const serverVersion = Number(info.version);
  const ownerClause = info.owner === info.me ? '' : ` OWNER ${quotePgIdent(info.owner)}`;
  await pg.reconnect(async () => {
    await terminateConnections(pg.admin, pg.database, serverVersion);
    await pg.admin.query(`CREATE DATABASE ${quotePgIdent(template)} TEMPLATE ${quotePgIdent(pg.database)}`);
  });
  await pg.admin.query(`ALTER DATABASE ${quotePgIdent(template)} WITH ALLOW_CONNECTIONS false`);
  const copies = new PostgresCopies({ template, namePrefix, database: pg.database, ownerClause, serverVersion });
  copies.prepareSpare(pg.admin);
  return { database: pg.database, template, serverVersion, copies };
}

/**
 * Put the session database back as it was at the snapshot: rename it away and rename a spare copy
 * of the snapshot (with the database's owner) into its place; the old database is dropped and the
 * next spare made in the background. Database-level settings (ALTER DATABASE ... SET) and
 * database-level GRANTs are not carried over by a template copy; everything inside the database is.
 */
export async function restorePostgres(pg: PostgresClients, snap: PostgresSnapshot): Promise<void> {
  await pg.reconnect(async () => {
    const spare = await snap.copies.takeSpare(pg.admin);
    try {
      const replaced = await swapIn(pg.admin, snap, spare);
      if (replaced) snap.copies.discard(pg.admin, replaced);
    } catch (error) {
      snap.copies.discard(pg.admin, spare);
      throw error;
    }
  });
  snap.copies.prepareSpare(pg.admin);
}

/** Wait for background copies, then drop them and the template (no error for any already gone). */
export async function dropPostgresSnapshot(pg: PostgresClients, snap: PostgresSnapshot): Promise<void> {
  await snap.copies.dropAll(pg.admin);
  await pg.admin.query(`DROP DATABASE IF EXISTS ${quotePgIdent(snap.template)}`);
}

/**
 * Rename the session database away and `spare` into its place; returns the old database's new
 * name (null if there was no session database). If the second rename fails the first is undone.
 */
async function swapIn(admin: Pool, snap: PostgresSnapshot, spare: string): Promise<string | null> {
  const live = quotePgIdent(snap.database);
  await terminateConnections(admin, snap.database, snap.serverVersion);
  let replaced: string | null = snap.copies.nextName();
  try {
    await admin.query(`ALTER DATABASE ${live} RENAME TO ${quotePgIdent(replaced)}`);
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
    replaced = null; // the session database had been dropped: there is nothing to move away
  }
  try {
    await admin.query(`ALTER DATABASE ${quotePgIdent(spare)} RENAME TO ${live}`);
  } catch (error) {
    if (replaced) await admin.query(`ALTER DATABASE ${quotePgIdent(replaced)} RENAME TO ${live}`).catch(() => {});
    throw error;
  }
  return replaced;
}

async function databaseInfo(admin: Pool, database: string): Promise<DatabaseInfo> {
  const { rows } = await admin.query<DatabaseInfo>(
    `SELECT pg_get_userbyid(d.datdba) AS owner, current_user AS me, current_setting('server_version_num') AS version
       FROM pg_database d WHERE d.datname = $1`,
    [database],
  );
  if (!rows[0]) {
    throw new Error(
      `expected Postgres database "${database}" to exist for a snapshot, found no such database: ` +
        'check the postgres connection the session was given (its database is created when the session starts).',
    );
  }
  return rows[0];
}

async function terminateConnections(admin: Pool, database: string, serverVersion: number): Promise<void> {
  // Postgres 14+ can wait for the backend to exit; older ones rely on the 5 s that CREATE and
  // ALTER DATABASE themselves wait for other sessions to go.
  const terminate = serverVersion >= 140000 ? 'pg_terminate_backend(pid, 5000)' : 'pg_terminate_backend(pid)';
  await admin.query(`SELECT ${terminate} FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
}
