import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { ClientBase, Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { planRedshift, runEmulated } from './redshift-session.ts';

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
 * - `GETDATE()`, `SYSDATE`, `NVL(...)`, `#temp` tables and Redshift's DISTKEY/SORTKEY/ENCODE
 *   clauses are rewritten (see {@link translateTokens}).
 * - Unsupported COPY/UNLOAD options are errors that name the option.
 *
 * Works for `pool.query(...)` (a client is checked out for the statement) and inside transactions
 * on a client from `pool.connect()`. Statements with nothing Redshift-specific go to Postgres
 * untouched, so `ctx.warehouse()` can be used exactly as a pg Pool; query streams (pg-copy-streams
 * and other submittables) pass through as they are.
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
  const poolQuery = (args: QueryArgs): unknown => {
    const pool = options.pool();
    const call = readQueryArgs(args);
    if (!call) return (pool.query as (...a: QueryArgs) => unknown)(...args);
    const plan = planRedshift(call.config.text, call.config.values ?? []);
    if (plan.kind === 'as-is') return (pool.query as (...a: QueryArgs) => unknown)(...args);
    const run = async () => {
      if (plan.kind === 'rewritten') return pool.query({ ...call.config, text: plan.text });
      const client = await pool.connect();
      try {
        const result = await runEmulated(client, plan.statements, call.config, access);
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
    const connected = options.pool().connect().then((client) => wrapClient(client, access));
    if (!callback) return connected;
    connected.then(
      (client) => callback(undefined, client, (release?: unknown) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error),
    );
    return undefined;
  };
  return new Proxy(Object.create(pg.Pool.prototype) as Pool, {
    get(_target, property) {
      if (property === 'query') return (...args: QueryArgs) => poolQuery(args);
      if (property === 'connect') return connect;
      return forward(options.pool(), property);
    },
  });
}

/** A pool client whose `query` speaks Redshift, like {@link createWarehouse}'s pool. */
export function wrapClient<C extends ClientBase>(client: C, access: { s3: S3Client; sessionBucket: string }): C {
  const query = (args: QueryArgs): unknown => {
    const call = readQueryArgs(args);
    if (!call) return (client.query as (...a: QueryArgs) => unknown)(...args);
    const plan = planRedshift(call.config.text, call.config.values ?? []);
    if (plan.kind === 'as-is') return (client.query as (...a: QueryArgs) => unknown)(...args);
    const run = async () => (plan.kind === 'rewritten' ? client.query({ ...call.config, text: plan.text }) : runEmulated(client, plan.statements, call.config, access));
    return settle(run(), call.callback);
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return (...args: QueryArgs) => query(args);
      return forward(target, property);
    },
  });
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
