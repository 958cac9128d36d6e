import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Pool } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pgTableName, quotePgIdent } from '../../sql/identifiers.ts';
import { pgRelationColumns } from './catalog.ts';

/** Copy a table into the keep schema (`CREATE UNLOGGED TABLE ... AS SELECT *`), inside the database. */
export async function keepPostgresTable(pool: Pool, keepSchema: string, name: string, from: { schema: string; table: string }): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quotePgIdent(keepSchema)}`);
  await pool.query(`CREATE UNLOGGED TABLE ${pgTableName(keepSchema, name)} AS SELECT * FROM ${pgTableName(from.schema, from.table)}`);
}

/** A kept table's definition and rows (COPY text format), held in memory across a restore. */
export interface StashedTable {
  readonly name: string;
  readonly columns: readonly { name: string; type: string }[];
  readonly data: Buffer;
}

/**
 * Read kept tables out of the database before a restore replaces it: a restore swaps the whole
 * database, keep schema included. Used only when a later comparison needs rows from before it.
 */
export async function stashPostgresTables(pool: Pool, keepSchema: string, names: readonly string[]): Promise<StashedTable[]> {
  const out: StashedTable[] = [];
  const client = await pool.connect();
  try {
    for (const name of names) {
      const columns = await pgRelationColumns(pool, keepSchema, name);
      const chunks: Buffer[] = [];
      const stream = client.query(copyTo(`COPY ${pgTableName(keepSchema, name)} TO STDOUT`));
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      out.push({ name, columns: columns.map((c) => ({ name: c.name, type: c.type })), data: Buffer.concat(chunks) });
    }
  } finally {
    client.release();
  }
  return out;
}

/**
 * Put stashed tables back into the keep schema after a restore. A column type the restored
 * database lacks (an enum a run created, say) falls back to text; diffs compare such columns as text.
 */
export async function reinstatePostgresTables(pool: Pool, keepSchema: string, tables: readonly StashedTable[]): Promise<void> {
  if (tables.length === 0) return;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quotePgIdent(keepSchema)}`);
  const client = await pool.connect();
  try {
    for (const t of tables) {
      const target = pgTableName(keepSchema, t.name);
      const typed = t.columns.map((c) => `${quotePgIdent(c.name)} ${c.type}`).join(', ');
      try {
        await client.query(`CREATE UNLOGGED TABLE ${target} (${typed})`);
      } catch {
        await client.query(`CREATE UNLOGGED TABLE ${target} (${t.columns.map((c) => `${quotePgIdent(c.name)} text`).join(', ')})`);
      }
      await pipeline(Readable.from([t.data]), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
    }
  } finally {
    client.release();
  }
}

/** Drop kept tables (no error for tables already gone). */
export async function dropPostgresKept(pool: Pool, keepSchema: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await pool.query(`DROP TABLE IF EXISTS ${names.map((n) => pgTableName(keepSchema, n)).join(', ')}`);
}

/** Drop the keep schema and everything in it. */
export async function dropPostgresKeepSchema(pool: Pool, keepSchema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${quotePgIdent(keepSchema)} CASCADE`);
}
