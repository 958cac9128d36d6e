import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { ClientBase, Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import type { S3Access } from './copy-from-s3.ts';
import { planRedshift, prepareOnce, runEmulated, trackTransactionStatus, type RedshiftPlan } from './redshift-session.ts';

/** Options of {@link createWarehouse}. */
export interface WarehouseOptions {
  /**
   * The Postgres pool to run on, read at every use: a session's snapshot and restore replace
   * its pool, and the warehouse must follow.
   */
  pool: () => Pool;
  /** Where COPY reads and UNLOAD writes. */
  s3: S3Client;
  /** The bucket `s3://_/` stands for. */
  sessionBucket: string;
}

type QueryArgs = unknown[];
type Callback = (error: Error | null, result?: unknown) => void;

/**
 * The warehouse as Redshift: a `pg.Pool` (and, from `connect()`, pool clients) whose queries
 * accept Redshift SQL on the Postgres stand-in.
 *
 * - `COPY table [(cols)] FROM 's3://bucket/prefix' ... CSV ...` streams the objects from the
 *   session's S3 into `COPY ... FROM STDIN` (see {@link copyFromS3}); `UNLOAD ('select ...') TO
 *   's3://...'` streams `COPY (select) TO STDOUT` into an object (see {@link unloadToS3}).
 * - Every other statement is translated from Redshift to Postgres, or refused as Redshift refuses
 *   it (see translateTokens), once per distinct text; TRUNCATE commits the open transaction.
 * - Connections are the warehouse's own (a pool made from the session pool's settings), set up
 *   once with the dagbox schema and Redshift's search_path, so `ctx.postgres()` stays plain.
 * - Unsupported COPY/UNLOAD options are errors that name the option.
 *
 * Works for `pool.query(...)` (a client is checked out for the statement) and inside transactions
 * on a client from `pool.connect()`. Statements with nothing Redshift-specific go to Postgres
 * untouched, so `ctx.warehouse()` can be used exactly as a pg Pool; query streams (pg-copy-streams
 * and other submittables) pass through as they are. Inside a task, `ctx.warehouse()` is the try's
 * own connection (see {@link openTryWarehouse}).
 *
 * ```ts
 * const warehouse = createWarehouse({ pool: () => clients.pool, s3, sessionBucket: 'dagbox' });
 * await warehouse.query("COPY raw_data.nps FROM 's3://_/nps.csv' IAM_ROLE 'arn:aws:iam::1:role/x' CSV IGNOREHEADER 1");
 * const client = await warehouse.connect();
 * try {
 *   await client.query('BEGIN');
 *   await client.query('CREATE TABLE #stage (LIKE raw_data.nps INCLUDING DEFAULTS)');
 *   await client.query("COPY #stage FROM $1 CSV", ['s3://_/nps/2021-02-05.csv']);
 *   await client.query('COMMIT');
 * } finally {
 *   client.release();
 * }
 * ```
 */
export function createWarehouse(options: WarehouseOptions): Pool {
  const access = { s3: options.s3, sessionBucket: options.sessionBucket };
  const own = ownPool(options);
  const poolQuery = (args: QueryArgs): unknown => {
    const pool = own();
    const call = readQueryArgs(args);
    // Query streams (pg-copy-streams) pass through; they are Postgres's own COPY ... STDIN/STDOUT.
    if (!call) return (pool.query as (...a: QueryArgs) => unknown)(...args);
    const run = async () => {
      const plan = planRedshift(call.config.text, call.config.values ?? []);
      const client = await pool.connect();
      try {
        await prepareOnce(client);
        const result = await runPlan(client, plan, call.config, access).catch(rethrowAsRedshift);
        client.release();
        return result;
      } catch (error) {
        // A client in an unknown state (a COPY cut off mid-stream) is closed, not reused.
        client.release(error as Error);
        throw error;
      }
    };
    return settle(run(), call.callback);
  };
  const connect = (callback?: (error: Error | undefined, client?: PoolClient, done?: (release?: unknown) => void) => void): unknown => {
    const connected = own()
      .connect()
      .then(async (client) => {
        try {
          await prepareOnce(client);
        } catch (error) {
          client.release(error as Error);
          throw error;
        }
        return wrapClient(client, access);
      });
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release?: unknown) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error),
    );
    return undefined;
  };
  const openTry = (tryOptions: TryOptions = {}): TryWarehouse => tryWarehouse(options, access, tryOptions);
  return new Proxy(Object.create(pg.Pool.prototype) as Pool, {
    get(_target, property) {
      if (property === 'query') return (...args: QueryArgs) => poolQuery(args);
      if (property === 'connect') return connect;
      if (property === OPEN_TRY) return openTry;
      if (property === 'end') return () => own.end();
      return forward(own(), property);
    },
  });
}

/**
 * The warehouse's own pool, made from the session pool's settings: its connections speak Redshift
 * (search_path with dagbox's functions), which the session's plain pool (`ctx.postgres()`) must
 * not. It follows the session pool: when a restore replaces that pool, this one is replaced too.
 */
function ownPool(options: WarehouseOptions): { (): pg.Pool; end(): Promise<void> } {
  let base: Pool | undefined;
  let pool: pg.Pool | undefined;
  const get = (): pg.Pool => {
    const current = options.pool();
    if (current !== base || !pool) {
      pool?.end().catch(() => {});
      base = current;
      pool = new pg.Pool({ ...connectionConfig(current), idleTimeoutMillis: 1000, allowExitOnIdle: true });
      // An idle client errors when the server closes it (a restore drops the database); queries still fail loudly.
      pool.on('error', () => {});
    }
    return pool;
  };
  get.end = async () => {
    const ending = pool;
    pool = undefined;
    base = undefined;
    await ending?.end();
  };
  return get;
}

/** The warehouse of one task try: see {@link openTryWarehouse}. */
export interface TryWarehouse {
  /** A pg Pool whose every query and client is the try's one connection. */
  readonly pool: Pool;
  /** Close the try's connection (if one was opened): its temporary tables and settings go with it. */
  close(): Promise<void>;
}

const OPEN_TRY = Symbol.for('dagbox.openTryWarehouse');

/**
 * One warehouse connection for one task try, as Airflow gives each try its own: `#temp` tables
 * and session settings live as long as the try and die with it, so a retry or the next task starts
 * clean. `warehouse` must come from {@link createWarehouse}; anything else is returned as it is
 * (with nothing to close).
 *
 * The connection opens on first use. `connect()` hands out that same connection (its `release()`
 * does nothing; the try's end closes it), so statements of one try run in order on one session.
 */
export function openTryWarehouse(warehouse: Pool, options: TryOptions = {}): TryWarehouse {
  const open = (warehouse as unknown as Record<symbol, unknown>)[OPEN_TRY];
  if (typeof open !== 'function') return { pool: warehouse, close: async () => {} };
  return (open as (o: TryOptions) => TryWarehouse)(options);
}

/** Options of {@link openTryWarehouse}. */
export interface TryOptions {
  /** How far the connection's wall clock (GETDATE(), now(), ...) runs ahead of the real one, in ms. */
  clockShiftMs?: number;
}

function tryWarehouse(options: WarehouseOptions, access: { s3: S3Client; sessionBucket: string }, tryOptions: TryOptions): TryWarehouse {
  let opening: Promise<pg.Client> | undefined;
  let closed = false;
  const client = (): Promise<pg.Client> => {
    if (closed) return Promise.reject(new Error("this task try's warehouse connection is closed (the try ended); use ctx.warehouse() inside the task"));
    opening ??= (async () => {
      const c = new pg.Client(connectionConfig(options.pool()));
      c.on('error', () => {});
      await c.connect();
      try {
        await prepareOnce(c);
        const shift = Math.trunc(tryOptions.clockShiftMs ?? 0);
        if (shift !== 0) await c.query(`SELECT set_config('dagbox.clock_shift', $1, false)`, [`${shift} milliseconds`]);
      } catch (error) {
        await c.end().catch(() => {});
        throw error;
      }
      return c;
    })();
    return opening;
  };
  const shared = async (): Promise<PoolClient> => {
    const wrapped = wrapClient(await client(), access) as unknown as PoolClient;
    return new Proxy(wrapped, {
      get(target, property) {
        if (property === 'release') return () => {};
        return forward(target, property);
      },
    });
  };
  const query = (args: QueryArgs): unknown => {
    const call = readQueryArgs(args);
    if (!call) throw new Error("ctx.warehouse().query() takes SQL text here; for a query stream (pg-copy-streams), take a client with ctx.warehouse().connect() and run it on that");
    return settle(
      shared().then((c) => c.query(call.config) as unknown as Promise<QueryResult>),
      call.callback,
    );
  };
  const connect = (callback?: (error: Error | undefined, client?: PoolClient, done?: () => void) => void): unknown => {
    if (!callback) return shared();
    shared().then(
      (c) => callback(undefined, c, () => {}),
      (error: Error) => callback(error),
    );
    return undefined;
  };
  const pool = new Proxy(Object.create(pg.Pool.prototype) as Pool, {
    get(_target, property) {
      if (property === 'query') return (...args: QueryArgs) => query(args);
      if (property === 'connect') return connect;
      if (property === 'end') return async () => {};
      if (property === 'on' || property === 'once' || property === 'removeListener' || property === 'off') return () => pool;
      return forward(options.pool(), property);
    },
  });
  return {
    pool,
    async close() {
      closed = true;
      const c = await opening?.catch(() => undefined);
      await c?.end().catch(() => {});
    },
  };
}

/** The pool's connection settings, password included (pg-pool keeps it as a hidden property). */
function connectionConfig(pool: Pool): pg.PoolConfig {
  return { ...pool.options, password: pool.options.password };
}

/** A pool client whose `query` speaks Redshift, like {@link createWarehouse}'s pool. The client must be prepared (see prepareOnce). */
export function wrapClient<C extends ClientBase>(client: C, access: { s3: S3Client; sessionBucket: string }): C {
  trackTransactionStatus(client);
  const query = (args: QueryArgs): unknown => {
    const call = readQueryArgs(args);
    if (!call) return (client.query as (...a: QueryArgs) => unknown)(...args);
    let plan: RedshiftPlan;
    try {
      plan = planRedshift(call.config.text, call.config.values ?? []);
    } catch (error) {
      return settle(Promise.reject(error as Error), call.callback);
    }
    if (plan.kind === 'as-is' && call.callback) return (client.query as (...a: QueryArgs) => unknown)(...args);
    return settle(runPlan(client, plan, call.config, access).catch(rethrowAsRedshift), call.callback);
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return (...args: QueryArgs) => query(args);
      if (property === RAW_CLIENT) return target;
      return forward(target, property);
    },
  });
}

// Symbol.for: DAG files may load their own copy of dagbox's modules (the dev loop reloads them).
const RAW_CLIENT = Symbol.for('dagbox.rawClient');

/**
 * The Postgres client under a warehouse client, whose queries are not translated: for dagbox's own
 * statements that must keep Postgres's meaning (REPLACE's transactional TRUNCATE on the stand-in).
 * Any other client is returned as it is.
 */
export function rawClient<C extends ClientBase>(client: C): C {
  return ((client as unknown as Record<symbol, unknown>)[RAW_CLIENT] as C | undefined) ?? client;
}

/**
 * Postgres errors said as Redshift says them, where dagbox's emulation shows through: a value
 * longer than a VARCHAR's bytes breaks the CHECK the translation added.
 */
function rethrowAsRedshift(error: unknown): never {
  const e = error as { code?: string; constraint?: string; message?: string; column?: string };
  const bytes = e.code === '23514' && typeof e.constraint === 'string' ? /^(.*)_max_(\d+)_bytes$/.exec(e.constraint) : null;
  if (bytes && error instanceof Error) {
    error.message = `value too long for type character varying(${bytes[2]}): column ${bytes[1]} holds at most ${bytes[2]} bytes (Redshift counts VARCHAR and CHAR lengths in bytes; UTF-8 letters outside ASCII take 2 to 4)`;
  }
  throw error;
}

/** Run a plan on a client that speaks Redshift. */
function runPlan(client: ClientBase, plan: RedshiftPlan, config: QueryConfig, access: S3Access): Promise<QueryResult | QueryResult[]> {
  if (plan.kind === 'as-is') return client.query(config);
  if (plan.kind === 'rewritten') return client.query({ ...config, text: plan.text });
  return runEmulated(client, plan.statements, config, access);
}

function forward(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target) as unknown;
  return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

/** The query's text, values and callback; null for submittables (query streams), which pass through. */
function readQueryArgs(args: QueryArgs): { config: QueryConfig & { text: string }; callback: Callback | undefined } | null {
  const [first, second, third] = args;
  const callback = [second, third].find((a): a is Callback => typeof a === 'function');
  if (typeof first === 'string') return { config: { text: first, values: Array.isArray(second) ? second : undefined }, callback };
  if (typeof first !== 'object' || first === null) return null;
  if (typeof (first as { submit?: unknown }).submit === 'function') return null;
  const config = first as QueryConfig;
  if (typeof config.text !== 'string') return null;
  return { config: { ...config, values: config.values ?? (Array.isArray(second) ? second : undefined) }, callback };
}

function settle(promise: Promise<QueryResult | QueryResult[]>, callback: Callback | undefined): unknown {
  if (!callback) return promise;
  promise.then(
    (result) => callback(null, result),
    (error: Error) => callback(error),
  );
  return undefined;
}
