import pg from 'pg';
import type { Pool, PoolConfig } from 'pg';
import type { PostgresClients } from './service-clients.ts';

/** Options of {@link createPostgresClients}. */
export interface PostgresClientsOptions {
  /** Pool settings for the session database; `database` is required. */
  config: PoolConfig & { database: string };
  /** The maintenance database the admin pool connects to (default `postgres`). */
  adminDatabase?: string;
  /** How long `reconnect` waits for checked-out clients to be released (default 5000 ms). */
  drainTimeoutMs?: number;
  /**
   * Errors of idle pooled clients (the server closed the connection). pg drops such a client and
   * connects a new one on the next query; without this callback the error is ignored, which keeps
   * an unhandled 'error' event from ending the process.
   */
  onIdleError?: (error: Error) => void;
}

/** {@link PostgresClients} that own their pools: `end()` (or `await using`) closes both. */
export interface OwnedPostgresClients extends PostgresClients, AsyncDisposable {
  /** Close the session pool and the admin pool. */
  end(): Promise<void>;
}

/**
 * Make {@link PostgresClients} whose `pool` getter always returns the current pool: snapshot and
 * restore end the pool (waiting for checked-out clients to come back), drop or copy the database,
 * then put a new pool in its place. Code that reads `clients.pool` at each use never sees a
 * connection to a dropped database.
 *
 * ```ts
 * await using pg = createPostgresClients({ config: { host: '127.0.0.1', user: 'postgres', database: 'dagbox_s1' } });
 * const snap = await snapshot({ postgres: pg }, 'fixtures');
 * await pg.pool.query('DELETE FROM raw_data.nps');
 * await restore({ postgres: pg }, snap); // pg.pool is now a new Pool on the restored database
 * ```
 */
export function createPostgresClients(options: PostgresClientsOptions): OwnedPostgresClients {
  const onIdleError = options.onIdleError ?? (() => {});
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  const makePool = (config: PoolConfig): Pool => new pg.Pool(config).on('error', onIdleError);
  // Snapshots make and drop copies in the background on the admin pool; restore needs one more.
  const admin = makePool({ ...options.config, database: options.adminDatabase ?? 'postgres', max: 4 });
  let current = makePool(options.config);
  // Reconnects run one at a time: a second one must not end the pool the first has just made.
  let queue: Promise<unknown> = Promise.resolve();

  const reconnectNow = async (during: () => Promise<void>): Promise<void> => {
    const old = current;
    try {
      await drainPool(old, drainTimeoutMs, options.config.database);
      await during();
    } finally {
      current = makePool(options.config);
    }
  };

  const clients: OwnedPostgresClients = {
    get pool() {
      return current;
    },
    database: options.config.database,
    admin,
    reconnect(during) {
      const run = queue.then(() => reconnectNow(during));
      queue = run.catch(() => {});
      return run;
    },
    async end() {
      await queue;
      await Promise.all([current.ended ? undefined : current.end(), admin.ended ? undefined : admin.end()]);
    },
    [Symbol.asyncDispose]() {
      return clients.end();
    },
  };
  return clients;
}

/** End `pool`, waiting at most `timeoutMs` for its checked-out clients to be released. */
async function drainPool(pool: Pool, timeoutMs: number, database: string): Promise<void> {
  const busy = pool.totalCount - pool.idleCount;
  const ended = pool.end();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    if ((await Promise.race([ended, timedOut])) === 'timeout') {
      ended.catch(() => {});
      throw new Error(
        `Postgres database "${database}" cannot be snapshotted or restored while pool clients are checked out: ` +
          `waited ${timeoutMs} ms for ${busy} client(s) to be released. Release every client (client.release()) before snapshot or restore.`,
      );
    }
  } finally {
    clearTimeout(timer);
  }
}
