import type { Connection as CoreConnection } from 'mysql2';
import type { ExecuteValues, FieldPacket, PoolConnection, QueryOptions } from 'mysql2/promise';
import { Readable } from 'node:stream';
import type { ByteSpans } from './csv-encoder.ts';

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
  /** Takes a row as byte ranges of the packet it came in, if the sink can: no object per value. */
  addSpans?(bytes: Buffer, spans: ByteSpans): boolean;
  waitForReader(): Promise<void>;
}

/** The parts of a mysql2 row packet read here (mysql2's Packet). */
interface RowPacket {
  buffer: Buffer;
  offset: number;
  end: number;
  isEOF(): boolean;
}

type PacketHandler = (packet: RowPacket, connection: unknown) => unknown;

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

  /** Set while a sink that takes byte spans is being fed. */
  private onSpans: ((bytes: Buffer, spans: ByteSpans) => void) | null = null;

  constructor(
    query: NodeJS.EventEmitter,
    private readonly connection: CoreConnection,
  ) {
    this.readPacketsDirectly(query as NodeJS.EventEmitter & { row: PacketHandler });
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

  /**
   * Feed every row to `sink`, as byte spans when it takes them; resolves when the result ended,
   * rejects when the query or the sink fails.
   */
  async pump(sink: RowSink): Promise<void> {
    for (const row of this.held.splice(0)) if (!sink.add(row)) await sink.waitForReader();
    let failed: (error: unknown) => void = () => {};
    const sinkFailed = new Promise<never>((_, reject) => (failed = reject));
    const fed = (more: boolean) => {
      if (more || this.paused) return;
      this.pause();
      void sink.waitForReader().then(() => this.resume());
    };
    const stop = (error: unknown) => {
      // A sink that throws (an injected fault) stops the flow; the caller closes the connection.
      this.onRow = () => {};
      this.onSpans = null;
      this.pause();
      failed(error);
    };
    this.onRow = (row) => {
      try {
        fed(sink.add(row));
      } catch (error) {
        stop(error);
      }
    };
    const addSpans = sink.addSpans?.bind(sink);
    if (addSpans) {
      this.onSpans = (bytes, spans) => {
        try {
          fed(addSpans(bytes, spans));
        } catch (error) {
          stop(error);
        }
      };
    }
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

  /**
   * mysql2 turns each row into an array with a Buffer per value, which at a million rows costs more
   * than the server takes to send them. While a sink takes byte spans, this reads the row packet
   * itself instead: each value of the text protocol is a length-encoded string, or 0xFB for NULL.
   * mysql2 3.x runs a query as a state machine whose row step is the method `row`; this replaces
   * that step on this one query, and hands everything else (the end of the rows, a sink without
   * spans) to mysql2's own step. The test of sqlToS3 compares both paths byte for byte.
   */
  private readPacketsDirectly(query: { row: PacketHandler }): void {
    const mysql2Row = query.row;
    const spans: ByteSpans = { count: 0, starts: new Int32Array(16), ends: new Int32Array(16) };
    const row: PacketHandler = (packet, connection) => {
      if (!this.onSpans || packet.isEOF()) {
        const next = mysql2Row.call(query, packet, connection);
        return next === mysql2Row ? row : next;
      }
      readSpans(packet, spans);
      this.onSpans(packet.buffer, spans);
      return row;
    };
    query.row = row;
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

/** The values of a text-protocol row packet as spans of its buffer (growing the arrays when needed). */
function readSpans(packet: RowPacket, spans: ByteSpans): void {
  const b = packet.buffer;
  let at = packet.offset;
  let count = 0;
  while (at < packet.end) {
    if (count === spans.starts.length) {
      spans.starts = growInt32(spans.starts);
      spans.ends = growInt32(spans.ends);
    }
    const first = b[at++]!;
    let length = first;
    if (first === 0xfb) {
      spans.starts[count++] = -1;
      continue;
    }
    if (first === 0xfc) {
      length = b.readUInt16LE(at);
      at += 2;
    } else if (first === 0xfd) {
      length = b.readUIntLE(at, 3);
      at += 3;
    } else if (first === 0xfe) {
      length = b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 2 ** 32;
      at += 8;
    }
    spans.starts[count] = at;
    spans.ends[count++] = at + length;
    at += length;
  }
  spans.count = count;
}

function growInt32(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
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
