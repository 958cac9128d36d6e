import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool as MysqlPool, PoolConnection } from 'mysql2/promise';
import type { Pool as PgPool, PoolClient } from 'pg';
import type { TaskContext } from '../dag/types.ts';

/** Where a fault is injected into a task: one of its `ctx.faultPoint` calls, or before one of its writes. */
export type FaultPoint =
  | { readonly kind: 'site'; readonly site: string; readonly occurrence: number; readonly rows?: number }
  | { readonly kind: 'write'; readonly index: number; readonly what: string };

/**
 * The error verification throws into a task (`--faults`): at a `ctx.faultPoint(site)` call, or
 * in place of one of its writes, whose connection is then killed so an open transaction rolls back.
 */
export class InjectedFault extends Error {
  override name = 'InjectedFault';

  constructor(
    readonly taskId: string,
    readonly point: FaultPoint,
  ) {
    super(`injected failure in task "${taskId}" ${describePoint(point)} (dagbox verification, check 4: atomicity under failure)`);
  }
}

/** `at faultPoint "copy" (call 3, after 200 rows)` / `before write 2 (INSERT INTO raw_data.nps ...)` */
export function describePoint(p: FaultPoint): string {
  if (p.kind === 'site') return `at faultPoint "${p.site}" (call ${p.occurrence}${p.rows !== undefined ? `, after ${p.rows} rows` : ''})`;
  return `before write ${p.index} (${p.what})`;
}

/** What a task did in a reference run: its faultPoint calls per site and its writes, in order. */
export interface TaskOps {
  readonly taskId: string;
  readonly sites: Map<string, { count: number; rows: (number | undefined)[] }>;
  readonly writes: string[];
  /** Every SQL statement the task sent, in full, in order (for hints that name a statement). */
  readonly statements?: string[];
}

/** Statements kept per task (a loop of single-row INSERTs need not all be kept). */
const MAX_STATEMENTS = 200;

/** Per task try: counts of fault opportunities, the target if any, and the connections checked out. */
export class FaultTracker {
  readonly ops: TaskOps;
  /** The fault thrown, once it has been. */
  fired: InjectedFault | null = null;
  private readonly siteCalls = new Map<string, number>();
  private writeCount = 0;
  private readonly pgClients = new Set<PoolClient>();
  private readonly mysqlConns = new Set<PoolConnection>();
  private readonly poisoned = new WeakSet<object>();
  private readonly dirty = new WeakSet<object>();
  private readonly killed = new WeakSet<object>();

  constructor(
    readonly taskId: string,
    /** The fault to inject in this task, or null to only record. */
    private readonly target: FaultPoint | null,
  ) {
    this.ops = { taskId, sites: new Map(), writes: [], statements: [] };
  }

  /** `ctx.faultPoint(site, { rows })`: record it, and throw when it is the target. */
  site(site: string, rows?: number): void {
    const occurrence = (this.siteCalls.get(site) ?? 0) + 1;
    this.siteCalls.set(site, occurrence);
    const entry = this.ops.sites.get(site) ?? { count: 0, rows: [] };
    entry.count = occurrence;
    entry.rows.push(rows);
    this.ops.sites.set(site, entry);
    const t = this.target;
    if (!this.fired && t?.kind === 'site' && t.site === site && t.occurrence === occurrence) this.fire({ ...t, ...(rows !== undefined ? { rows } : {}) });
  }

  /**
   * A statement or request about to be sent: throws in its place when it is the target write.
   * A COMMIT counts as a write only on a connection that wrote since its transaction began (the
   * commit of a read-only cursor leaves nothing half done).
   */
  operation(what: string, isWrite: boolean, connection?: object, sql?: string): void {
    if (sql && this.ops.statements && this.ops.statements.length < MAX_STATEMENTS) this.ops.statements.push(sql);
    if (connection && this.poisoned.has(connection)) throw this.fired!;
    if (connection && /^(commit|end|rollback|abort)\b/i.test(what)) {
      const wrote = this.dirty.has(connection);
      this.dirty.delete(connection);
      if (!wrote || /^(rollback|abort)\b/i.test(what)) return;
    } else if (connection && isWrite) this.dirty.add(connection);
    if (!isWrite) return;
    const index = ++this.writeCount;
    this.ops.writes.push(what);
    const t = this.target;
    if (!this.fired && t?.kind === 'write' && t.index === index) {
      if (connection) this.poisoned.add(connection);
      this.fire({ kind: 'write', index, what });
    }
  }

  /** True when the connection was killed by a fault: release must destroy it. */
  isPoisoned(connection: object): boolean {
    return this.poisoned.has(connection);
  }

  /** Destroy a MySQL connection a fault killed (once). */
  kill(conn: PoolConnection): void {
    if (this.killed.has(conn)) return;
    this.killed.add(conn);
    this.mysqlConns.delete(conn);
    conn.destroy();
  }

  trackPg(client: PoolClient): void {
    this.pgClients.add(client);
  }
  untrackPg(client: PoolClient): void {
    this.pgClients.delete(client);
  }
  trackMysql(conn: PoolConnection): void {
    this.mysqlConns.add(conn);
  }
  untrackMysql(conn: PoolConnection): void {
    this.mysqlConns.delete(conn);
  }

  /**
   * After the task body settled: destroy every connection it still holds (a task that failed
   * without releasing its client would otherwise keep a transaction, and its locks, open).
   */
  closeLeaked(): void {
    for (const c of this.pgClients) c.release(true);
    for (const c of this.mysqlConns) c.destroy();
    this.pgClients.clear();
    this.mysqlConns.clear();
  }

  private fire(point: FaultPoint): never {
    this.fired = new InjectedFault(this.taskId, point);
    throw this.fired;
  }
}

/** True for SQL that writes (or ends a transaction): where a failure can leave a partial result. */
export function isWriteSql(sql: string): boolean {
  const text = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  if (/^(insert|update|delete|merge|replace|upsert|create|drop|alter|truncate|commit|end|load|rename|call|grant|revoke)\b/i.test(text)) return true;
  if (/^copy\b/i.test(text)) return /\bfrom\b/i.test(text);
  if (/^with\b/i.test(text)) return /\b(insert|update|delete|merge)\b/i.test(text);
  return false;
}

/** The first words of a statement, for reports. */
export function statementSummary(sql: string): string {
  const one = sql.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

/**
 * The task-context members that route a task's services through a {@link FaultTracker}: the
 * faultPoint hook and pools/clients that count writes and fail the target one.
 */
export function faultHooks(tracker: FaultTracker, base: Partial<TaskContext>): Record<string, unknown> {
  const hooks: Record<string, unknown> = {
    faultPoint: (site: string, detail?: { rows?: number }) => tracker.site(site, detail?.rows),
  };
  const pg = base.postgres as (() => PgPool) | undefined;
  const wh = base.warehouse as (() => PgPool) | undefined;
  const my = base.mysql as (() => MysqlPool) | undefined;
  const s3 = base.s3 as (() => S3Client) | undefined;
  const cache = new Map<object, unknown>();
  const once = <T extends object>(target: T, wrap: (t: T) => T): T => {
    if (!cache.has(target)) cache.set(target, wrap(target));
    return cache.get(target) as T;
  };
  if (typeof pg === 'function') hooks.postgres = () => once(pg(), (p) => wrapPgPool(p, tracker));
  if (typeof wh === 'function') hooks.warehouse = () => once(wh(), (p) => wrapPgPool(p, tracker));
  if (typeof my === 'function') hooks.mysql = () => once(my(), (p) => wrapMysqlPool(p, tracker));
  if (typeof s3 === 'function') hooks.s3 = () => once(s3(), (c) => wrapS3(c, tracker));
  return hooks;
}

type Callback = (...args: unknown[]) => void;

function sqlOf(config: unknown): string {
  if (typeof config === 'string') return config;
  const text = (config as { text?: unknown; sql?: unknown } | null)?.text ?? (config as { sql?: unknown } | null)?.sql;
  return typeof text === 'string' ? text : '';
}

function lastCallback(args: unknown[]): Callback | undefined {
  const last = args.at(-1);
  return typeof last === 'function' ? (last as Callback) : undefined;
}

/** Run the tracker's check for a query; a thrown fault becomes a rejection, a callback error or a throw. */
function guarded(run: () => void, args: unknown[], sync: boolean): { fault: unknown } | null {
  try {
    run();
    return null;
  } catch (fault) {
    const cb = lastCallback(args);
    if (cb) {
      queueMicrotask(() => cb(fault));
      return { fault: undefined };
    }
    if (sync) throw fault;
    return { fault: Promise.reject(fault) };
  }
}

function wrapPgPool(pool: PgPool, tracker: FaultTracker): PgPool {
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') {
        return (...args: unknown[]) => {
          const sql = sqlOf(args[0]);
          const failed = guarded(() => tracker.operation(statementSummary(sql), isWriteSql(sql), undefined, sql), args, false);
          if (failed) return failed.fault;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === 'connect') {
        return (...args: unknown[]) => {
          const cb = lastCallback(args);
          if (cb) {
            return target.connect((err, client, done) => cb(err, client ? wrapPgClient(client, tracker) : client, done));
          }
          return target.connect().then((client) => wrapPgClient(client, tracker));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function wrapPgClient(client: PoolClient, tracker: FaultTracker): PoolClient {
  tracker.trackPg(client);
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') {
        return (...args: unknown[]) => {
          const config = args[0] as { submit?: unknown } | string;
          const submittable = typeof config === 'object' && config !== null && typeof config.submit === 'function';
          const sql = sqlOf(config);
          const failed = guarded(() => tracker.operation(statementSummary(sql), isWriteSql(sql), target, sql), args, submittable);
          if (failed) return failed.fault;
          return (target.query as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === 'release') {
        return (err?: Error | boolean) => {
          tracker.untrackPg(target);
          // A killed connection leaves the pool for good: its transaction dies with it.
          return target.release(tracker.isPoisoned(target) ? true : err);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function wrapMysqlPool(pool: MysqlPool, tracker: FaultTracker): MysqlPool {
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query' || prop === 'execute') {
        return (...args: unknown[]) => {
          const sql = sqlOf(args[0]);
          const failed = guarded(() => tracker.operation(statementSummary(sql), isWriteSql(sql), undefined, sql), args, false);
          if (failed) return failed.fault;
          return (Reflect.get(target, prop) as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === 'getConnection') {
        return () => target.getConnection().then((conn) => wrapMysqlConnection(conn, tracker));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function wrapMysqlConnection(conn: PoolConnection, tracker: FaultTracker): PoolConnection {
  tracker.trackMysql(conn);
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === 'query' || prop === 'execute' || prop === 'commit' || prop === 'rollback' || prop === 'beginTransaction') {
        return (...args: unknown[]) => {
          const sql = prop === 'commit' ? 'COMMIT' : prop === 'rollback' ? 'ROLLBACK' : prop === 'beginTransaction' ? 'BEGIN' : sqlOf(args[0]);
          const failed = guarded(() => tracker.operation(statementSummary(sql), isWriteSql(sql), target, sql), args, false);
          if (failed) {
            // Killed at once: the server rolls back whatever the connection had not committed.
            tracker.kill(target);
            return failed.fault;
          }
          return (Reflect.get(target, prop) as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (prop === 'release') {
        return () => {
          tracker.untrackMysql(target);
          if (tracker.isPoisoned(target)) return undefined;
          return target.release();
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const S3_WRITES = /^(PutObject|CopyObject|DeleteObject|DeleteObjects|CompleteMultipartUpload)Command$/;

function wrapS3(client: S3Client, tracker: FaultTracker): S3Client {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'send') {
        return (command: { constructor: { name: string }; input?: { Bucket?: string; Key?: string } }, ...rest: unknown[]) => {
          const name = command.constructor.name;
          const what = `${name.replace(/Command$/, '')} s3://${command.input?.Bucket ?? '?'}/${command.input?.Key ?? ''}`;
          try {
            tracker.operation(what, S3_WRITES.test(name));
          } catch (fault) {
            return Promise.reject(fault);
          }
          return (target.send as (...a: unknown[]) => unknown).call(target, command, ...rest);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
