import { Readable, Transform, type TransformCallback } from 'node:stream';

/** One value of a row on its way to CSV: text (string, or the server's bytes as a Buffer) or NULL. */
export type Cell = string | Buffer | null;

/**
 * A row as ranges of one byte buffer, so that no value needs an object of its own: value `i` is
 * `bytes[starts[i], ends[i])`, or NULL when `starts[i]` is -1. Reused from row to row.
 */
export interface ByteSpans {
  count: number;
  starts: Int32Array;
  ends: Int32Array;
}

/** Options of {@link CsvEncoder}. */
export interface CsvEncoderOptions {
  /** Column names, written as the first line when `header` is true. */
  columns: readonly string[];
  header: boolean;
  /** One character; default `,`. */
  delimiter?: string;
  /** Columns holding bytes, written as Postgres bytea text (`\x0a1b...`). */
  binary?: readonly boolean[];
  /** Called each time a chunk leaves the encoder, with the rows encoded so far. */
  onChunk?: (rows: number) => void;
}

const CHUNK_BYTES = 64 * 1024;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * The CSV dialect Postgres COPY reads exactly, written into 64 KB chunks: NULL is an empty
 * unquoted field and the empty string is `""`, so the two stay apart; a field holding the
 * delimiter, a quote, a newline, or exactly `\.` is quoted, with quotes doubled. Both CSV streams
 * below share it.
 */
class CsvChunker {
  /** Rows encoded so far. */
  rows = 0;
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;
  private readonly delimiter: number;
  private readonly binary: readonly boolean[];
  /** Characters that make a text field need quotes: the delimiter, a quote, CR, LF. */
  private readonly special: RegExp;

  constructor(
    private readonly options: CsvEncoderOptions,
    /** Receives each full chunk; returns false when its reader is behind. */
    private readonly emit: (chunk: Buffer) => boolean,
  ) {
    const delimiter = options.delimiter ?? ',';
    if (Buffer.byteLength(delimiter) !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new Error(`the CSV delimiter must be one single-byte character other than a quote or a newline, found ${JSON.stringify(delimiter)}`);
    }
    this.delimiter = delimiter.charCodeAt(0);
    this.special = new RegExp(`[${delimiter.replace(/[\\\]^-]/g, '\\$&')}"\\r\\n]`);
    this.binary = options.binary ?? [];
    if (options.header) this.writeRow(options.columns, false);
  }

  /** Encode one row; returns false when a chunk went out and its reader is behind. */
  add(row: readonly Cell[]): boolean {
    this.writeRow(row);
    return this.rowDone();
  }

  /** Encode one row given as byte ranges of `bytes` ({@link ByteSpans}); returns as {@link add}. */
  addSpans(bytes: Buffer, spans: ByteSpans): boolean {
    let room = spans.count + 1;
    for (let i = 0; i < spans.count; i++) if (spans.starts[i]! >= 0) room += (spans.ends[i]! - spans.starts[i]!) * 2 + 4;
    this.ensure(room);
    for (let i = 0; i < spans.count; i++) {
      if (i > 0) this.buffer[this.at++] = this.delimiter;
      const start = spans.starts[i]!;
      if (start < 0) continue;
      if (this.binary[i]) this.writeHex(bytes, start, spans.ends[i]!);
      else this.writeBytes(bytes, start, spans.ends[i]!);
    }
    this.buffer[this.at++] = LF;
    return this.rowDone();
  }

  private rowDone(): boolean {
    this.rows++;
    return this.at >= CHUNK_BYTES ? this.flush() : true;
  }

  /** Send what is buffered; returns what `emit` returned. */
  flush(): boolean {
    if (this.at === 0) return true;
    const chunk = this.buffer.subarray(0, this.at);
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.at = 0;
    const more = this.emit(chunk);
    this.options.onChunk?.(this.rows);
    return more;
  }

  private writeRow(row: readonly Cell[], data = true): void {
    // Room for the worst case once per row (every byte quoted and doubled, or hex), so the
    // per-byte writes below need no checks: this loop runs once per value of a million rows.
    let room = row.length + 1;
    for (const cell of row) if (cell !== null && cell !== undefined) room += (typeof cell === 'string' ? cell.length * 6 : cell.length * 2) + 4;
    this.ensure(room);
    const buffer = this.buffer;
    for (let i = 0; i < row.length; i++) {
      if (i > 0) buffer[this.at++] = this.delimiter;
      const cell = row[i];
      if (cell === null || cell === undefined) continue;
      if (data && this.binary[i]) {
        const bytes = typeof cell === 'string' ? Buffer.from(cell) : cell;
        this.writeHex(bytes, 0, bytes.length);
      } else if (typeof cell === 'string') this.writeStringCell(cell);
      else this.writeBytes(cell, 0, cell.length);
    }
    buffer[this.at++] = LF;
  }

  private writeStringCell(value: string): void {
    if (value === '' || value === '\\.') {
      this.at += this.buffer.write(value === '' ? '""' : '"\\."', this.at);
      return;
    }
    const quote = this.special.test(value);
    this.at += this.buffer.write(quote ? `"${value.replaceAll('"', '""')}"` : value, this.at);
  }

  /** Copies `value[from, to)` while looking for bytes that need quoting; starts over quoted only when one turns up. */
  private writeBytes(value: Buffer, from: number, to: number): void {
    const buffer = this.buffer;
    const at = this.at - from;
    if (to === from || (to - from === 2 && value[from] === 0x5c && value[from + 1] === 0x2e)) return this.writeQuoted(value, from, to);
    for (let j = from; j < to; j++) {
      const c = value[j]!;
      if (c === this.delimiter || c === QUOTE || c === LF || c === CR) return this.writeQuoted(value, from, to);
      buffer[at + j] = c;
    }
    this.at = at + to;
  }

  private writeQuoted(value: Buffer, from: number, to: number): void {
    const buffer = this.buffer;
    buffer[this.at++] = QUOTE;
    for (let j = from; j < to; j++) {
      const c = value[j]!;
      if (c === QUOTE) buffer[this.at++] = QUOTE;
      buffer[this.at++] = c;
    }
    buffer[this.at++] = QUOTE;
  }

  /** Postgres bytea text: `\x` and two hex digits a byte. */
  private writeHex(value: Buffer, from: number, to: number): void {
    this.buffer[this.at++] = 0x5c;
    this.buffer[this.at++] = 0x78;
    this.at += this.buffer.write(value.toString('hex', from, to), this.at, 'latin1');
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    this.flush();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

}

/**
 * Rows (arrays of {@link Cell}) in, CSV bytes out (see {@link CsvChunker} for the dialect), as a
 * Transform: for sources that are row streams.
 *
 * ```ts
 * await pipeline(rows, new CsvEncoder({ columns: ['id', 'name'], header: true }), upload);
 * ```
 */
export class CsvEncoder extends Transform {
  private readonly chunker: CsvChunker;

  constructor(options: CsvEncoderOptions) {
    super({ writableObjectMode: true, writableHighWaterMark: 1024 });
    this.chunker = new CsvChunker(options, (chunk) => this.push(chunk));
  }

  /** Rows encoded so far. */
  get rows(): number {
    return this.chunker.rows;
  }

  override _transform(row: Cell[], _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.chunker.add(row);
      callback();
    } catch (error) {
      // onChunk may throw (an injected fault): the stream fails with it.
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.chunker.flush();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/**
 * CSV bytes fed row by row by a producer that can pause (a MySQL result streaming off the wire):
 * `add(row)` returns false when the reader is behind, and `waitForReader()` resolves when it wants
 * more. No per-row stream machinery, which matters at a million rows.
 */
export class CsvReadable extends Readable {
  private readonly chunker: CsvChunker;
  private wanted: (() => void) | null = null;

  constructor(options: CsvEncoderOptions) {
    super({ highWaterMark: 4 * CHUNK_BYTES });
    this.chunker = new CsvChunker(options, (chunk) => this.push(chunk));
  }

  /** Rows encoded so far. */
  get rows(): number {
    return this.chunker.rows;
  }

  /** Encode a row; false means: pause the producer until {@link waitForReader} resolves. */
  add(row: readonly Cell[]): boolean {
    return this.chunker.add(row);
  }

  /** Encode a row given as byte ranges; returns as {@link add}. */
  addSpans(bytes: Buffer, spans: ByteSpans): boolean {
    return this.chunker.addSpans(bytes, spans);
  }

  waitForReader(): Promise<void> {
    return new Promise((resolve) => (this.wanted = resolve));
  }

  /** The last chunk, then the end of the stream. */
  finish(): void {
    this.chunker.flush();
    this.push(null);
  }

  override _read(): void {
    const wanted = this.wanted;
    this.wanted = null;
    wanted?.();
  }
}
