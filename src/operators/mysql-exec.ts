import type { Connection as CoreConnection } from 'mysql2';
import type { ExecuteValues, FieldPacket, PoolConnection, QueryOptions } from 'mysql2/promise';
import { Readable } from 'node:stream';

/** How result values come back: `native` (numbers, date strings, big numbers as strings) or `raw` (the server's text, as Buffers). */
export type MysqlValueMode = 'native' | 'raw';

/** Per-query mysql2 options for each mode. `raw` skips all conversion: values are the exact bytes MySQL sent. */
const MODE_OPTIONS: Record<MysqlValueMode, Partial<QueryOptions>> = {
  native: { dateStrings: true, supportBigNumbers: true, bigNumberStrings: true },
  raw: { typeCast: false },
};

/**
 * Run one statement on a connection, binding `values` on the server, and return its rows.
 *
 * Without values it is a plain query. With values, the statement is prepared on the server
 * (`PREPARE ... FROM @sql`, the SQL and each value set with `SET @v = ?` as binary-protocol
 * parameters) and run with `EXECUTE ... USING @v1, ...`: the values never become SQL text, and the
 * rows still arrive in the text protocol, so DECIMAL, BIGINT and DATETIME keep their exact text.
 */
export async function mysqlRun(conn: PoolConnection, text: string, values: readonly unknown[], mode: MysqlValueMode = 'native'): Promise<{ rows: unknown; fields: FieldPacket[] | undefined }> {
  if (values.length === 0) {
    const [rows, fields] = await conn.query({ sql: text, ...MODE_OPTIONS[mode] });
    return { rows, fields };
  }
  const execute = await prepare(conn, text, values);
  try {
    const [rows, fields] = await conn.query({ sql: execute, ...MODE_OPTIONS[mode] });
    return { rows, fields };
  } finally {
    await deallocate(conn, values.length);
  }
}

/** Where rows go: `add` returns false when the reader is behind; `waitForReader` resolves when it wants more. */
export interface RowSink {
  add(row: readonly (string | Buffer | null)[]): boolean;
  waitForReader(): Promise<void>;
}

/**
 * One query's rows as they come off the wire, as arrays of raw values (Buffer or null). Rows that
 * arrive before a reader is attached are held and the connection paused, so none is lost; a
 * reader that falls behind pauses the connection (TCP backpressure reaches the server), so memory
 * stays bounded whatever the result's size.
 */
export class MysqlResult {
  private held: (Buffer | null)[][] = [];
  private onRow: ((row: (Buffer | null)[]) => void) | null = null;
  private done: Promise<void>;
  private paused = false;

  constructor(
    query: NodeJS.EventEmitter,
    private readonly connection: CoreConnection,
  ) {
    query.on('result', (row: (Buffer | null)[]) => {
      if (this.onRow) return this.onRow(row);
      this.held.push(row);
      this.pause();
    });
    this.done = new Promise((resolve, reject) => {
      query.once('end', resolve);
      query.once('error', reject);
    });
    this.done.catch(() => {});
  }

  /** Feed every row to `sink`; resolves when the result ended, rejects when the query or the sink fails. */
  async pump(sink: RowSink): Promise<void> {
    for (const row of this.held.splice(0)) if (!sink.add(row)) await sink.waitForReader();
    let failed: (error: unknown) => void = () => {};
    const sinkFailed = new Promise<never>((_, reject) => (failed = reject));
    this.onRow = (row) => {
      try {
        if (sink.add(row) || this.paused) return;
        this.pause();
        void sink.waitForReader().then(() => this.resume());
      } catch (error) {
        // A sink that throws (an injected fault) stops the flow; the caller closes the connection.
        this.onRow = () => {};
        this.pause();
        failed(error);
      }
    };
    this.resume();
    return Promise.race([this.done, sinkFailed]);
  }

  /** The rows as an object-mode stream (for sinks that are streams); the connection pauses while it is full. */
  stream(): Readable {
    const rows = new Readable({ objectMode: true, highWaterMark: 2000, read: () => this.resume() });
    for (const row of this.held.splice(0)) rows.push(row);
    this.onRow = (row) => {
      if (!rows.push(row)) this.pause();
    };
    this.done.then(
      () => rows.push(null),
      (error: Error) => rows.destroy(error),
    );
    return rows;
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.connection.pause();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.connection.resume();
  }
}

/**
 * Start one query whose rows stream as arrays of raw values (Buffer or null), binding `values` as
 * {@link mysqlRun} does. Resolves once the column definitions arrived. Call `finish` after the
 * result ended (or failed) to free the server-side statement.
 */
export async function mysqlStream(conn: PoolConnection, text: string, values: readonly unknown[]): Promise<{ fields: FieldPacket[]; result: MysqlResult; finish: () => Promise<void> }> {
  const sql = values.length === 0 ? text : await prepare(conn, text, values);
  // The core (callback) connection streams; the promise wrapper would buffer the whole result.
  const core = conn.connection as unknown as CoreConnection;
  const query = core.query({ sql, rowsAsArray: true, ...MODE_OPTIONS.raw }) as unknown as NodeJS.EventEmitter;
  const result = new MysqlResult(query, core);
  const fields = await new Promise<FieldPacket[]>((resolve, reject) => {
    query.once('fields', (f: FieldPacket[]) => resolve(f));
    query.once('error', reject);
  });
  return { fields, result, finish: () => (values.length === 0 ? Promise.resolve() : deallocate(conn, values.length)) };
}

async function prepare(conn: PoolConnection, text: string, values: readonly unknown[]): Promise<string> {
  const names = values.map((_, i) => `@dgbx_p${i + 1}`);
  await conn.execute(`SET @dgbx_sql = ?, ${names.map((n) => `${n} = ?`).join(', ')}`, [text, ...values.map(bindable)] as ExecuteValues[]);
  await conn.query('PREPARE dgbx_stmt FROM @dgbx_sql');
  return `EXECUTE dgbx_stmt USING ${names.join(', ')}`;
}

async function deallocate(conn: PoolConnection, count: number): Promise<void> {
  await conn.query('DEALLOCATE PREPARE dgbx_stmt').catch(() => {});
  await conn.query(`SET @dgbx_sql = NULL, ${Array.from({ length: count }, (_, i) => `@dgbx_p${i + 1} = NULL`).join(', ')}`).catch(() => {});
}

/** A value mysql2 can bind: undefined is NULL, bigints are sent as their decimal text, objects as JSON. */
export function bindable(value: unknown): ExecuteValues {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || value instanceof Date || Buffer.isBuffer(value) || typeof value !== 'object') return value as ExecuteValues;
  return JSON.stringify(value);
}
