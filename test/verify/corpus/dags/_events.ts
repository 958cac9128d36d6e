// Helpers of the corpus's event DAGs (a `_` file is not a DAG file).
import type { TaskContext } from 'dagbox';
import { insertRows } from './_lib.ts';

/** One event as the source returns it. */
export interface EventRow {
  id: number;
  kind: string;
  created_at: string;
}

/** Events selected from prod.events by `where` (bound values `params`), oldest first. */
export async function sourceEvents(ctx: TaskContext, where: string, params: unknown[]): Promise<EventRow[]> {
  const [rows] = await ctx.mysql().query(
    `SELECT id, kind, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s') AS created_at FROM prod.events WHERE ${where} ORDER BY id`,
    params,
  );
  return rows as EventRow[];
}

/** In one transaction: create `table` if needed, run `clear` (bound `clearParams`), insert `rows`. */
export async function replaceEvents(ctx: TaskContext, table: string, clear: string | null, clearParams: unknown[], rows: EventRow[]): Promise<void> {
  const client = await ctx.postgres().connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id INT, kind VARCHAR(16), created_at TIMESTAMP)`);
    await client.query('BEGIN');
    if (clear) await client.query(clear, clearParams);
    if (rows.length > 0) {
      const ins = insertRows(table, ['id', 'kind', 'created_at'], rows.map((r) => [r.id, r.kind, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
