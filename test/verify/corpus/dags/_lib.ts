// Helpers shared by the corpus DAGs (a file starting with `_` is not a DAG file).
import type { TaskContext } from 'dagbox';

/** One answer of prod.nps, as the source returns it. */
export interface NpsRow {
  id: number;
  user_id: number;
  score: number;
  created_at: string;
}

/** `2021-02-05 00:00:00`: how MySQL DATETIME and Postgres TIMESTAMP literals read a UTC instant. */
export function utc(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** The answers created in the run's data interval, read from the source database. */
export async function sourceRows(ctx: TaskContext): Promise<NpsRow[]> {
  const [rows] = await ctx.mysql().query(
    "SELECT id, user_id, score, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s') AS created_at FROM prod.nps WHERE created_at >= ? AND created_at < ? ORDER BY id",
    [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)],
  );
  return rows as NpsRow[];
}

/** A multi-row INSERT with bound values. */
export function insertRows(table: string, columns: string[], rows: unknown[][]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((r) => `(${r.map((v) => (values.push(v), `$${values.length}`)).join(', ')})`);
  return { text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values };
}

/** The answers as CSV, header first. */
export function toCsv(rows: NpsRow[]): string {
  return ['id,user_id,score,created_at', ...rows.map((r) => `${r.id},${r.user_id},${r.score},${r.created_at}`)].join('\n') + '\n';
}

/** CSV back to answers. */
export function fromCsv(text: string): NpsRow[] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0)
    .map((l) => {
      const [id, user, score, created] = l.split(',');
      return { id: Number(id), user_id: Number(user), score: Number(score), created_at: created! };
    });
}

/** Options every corpus DAG shares. */
export const daily = { schedule: '@daily', startDate: '2021-02-01', catchup: true, maxActiveRuns: 1, tags: ['corpus'] };
