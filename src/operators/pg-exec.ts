import { Readable } from 'node:stream';
import type { ClientBase, FieldDef, QueryConfig, QueryResult } from 'pg';
import pg from 'pg';

/** How result values come back: `native` (pg's parsing, but dates and timestamps as text) or `raw` (Postgres's text for every value). */
export type PgValueMode = 'native' | 'raw';

const DATE_TYPES = new Set([1082, 1083, 1114, 1184, 1266]);
const identity = (value: string) => value;

/** Type parsers per mode: `raw` returns Postgres's text for everything; `native` keeps pg's parsers except for dates and times, which stay exact text. */
export const PG_TYPES: Record<PgValueMode, NonNullable<QueryConfig['types']>> = {
  raw: { getTypeParser: () => identity } as NonNullable<QueryConfig['types']>,
  native: {
    getTypeParser: ((oid: number, format?: string) => (DATE_TYPES.has(oid) ? identity : pg.types.getTypeParser(oid, format as 'text'))) as never,
  } as NonNullable<QueryConfig['types']>,
};

/** Run one statement with bound values; rows as objects in `native` mode. */
export function pgRun(client: { query: ClientBase['query'] }, text: string, values: readonly unknown[], mode: PgValueMode = 'native'): Promise<QueryResult> {
  return client.query({ text, values: values as unknown[], types: PG_TYPES[mode] });
}

/** A Postgres source column, from its type oid. */
export interface PgColumn {
  name: string;
  dataTypeID: number;
}

/**
 * Stream a query's rows as arrays of Postgres text (null for NULL), in batches fetched from a
 * server-side cursor, with `values` bound (a cursor, unlike COPY, takes parameters). Runs in a
 * transaction of its own on `client` (with the time zone set to UTC, so timestamptz text is
 * `...+00`), which `rows` ends when it is done or destroyed.
 */
export async function pgStream(client: ClientBase, text: string, values: readonly unknown[], batchRows = 5000): Promise<{ fields: PgColumn[]; rows: Readable }> {
  await client.query('BEGIN');
  try {
    await client.query("SET LOCAL TIME ZONE 'UTC'");
    await client.query({ text: `DECLARE dgbx_cursor NO SCROLL CURSOR FOR ${text}`, values: values as unknown[] });
    const first = await fetch(client, batchRows);
    const fields = first.fields.map((f: FieldDef) => ({ name: f.name, dataTypeID: f.dataTypeID }));
    let pending: unknown[][] | null = first.rows;
    let finished = false;
    let fetching = false;
    const finish = async (commit: boolean) => {
      if (finished) return;
      finished = true;
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    };
    const nextBatch = async (): Promise<unknown[][] | null> => {
      if (pending) {
        const batch = pending;
        pending = null;
        return batch.length > 0 ? batch : null;
      }
      if (finished) return null;
      const { rows } = await fetch(client, batchRows);
      return rows.length > 0 ? rows : null;
    };
    const rows = new Readable({
      objectMode: true,
      highWaterMark: batchRows,
      read() {
        // One fetch at a time; its rows are pushed together, then the stream asks again.
        if (fetching) return;
        fetching = true;
        nextBatch().then(
          async (batch) => {
            fetching = false;
            if (!batch) {
              await finish(true);
              this.push(null);
              return;
            }
            for (const row of batch) this.push(row);
          },
          (error: Error) => this.destroy(error),
        );
      },
      destroy(error, callback) {
        finish(false).then(
          () => callback(error),
          () => callback(error),
        );
      },
    });
    return { fields, rows };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

function fetch(client: ClientBase, rows: number): Promise<QueryResult<unknown[]>> {
  return client.query({ text: `FETCH FORWARD ${rows} FROM dgbx_cursor`, rowMode: 'array', types: PG_TYPES.raw });
}
