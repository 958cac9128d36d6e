// The region sales of one day, loaded for the corpus's ordering DAGs (a `_` file is not a DAG file).
import type { TaskContext } from 'dagbox';

/** Replace the run's day of raw_data.region_sales with the source's rows, in one transaction. */
export async function loadDaySales(ctx: TaskContext): Promise<number> {
  const [rows] = await ctx.mysql().query("SELECT id, DATE_FORMAT(day, '%Y-%m-%d') AS day, region, amount FROM prod.region_sales WHERE day = ? ORDER BY id", [ctx.ds]);
  const sales = rows as { id: number; day: string; region: string; amount: number }[];
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.region_sales (id INT PRIMARY KEY, day DATE, region VARCHAR(16), amount INT)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.region_sales WHERE day = $1', [ctx.ds]);
    for (const s of sales) await client.query('INSERT INTO raw_data.region_sales VALUES ($1, $2, $3, $4)', [s.id, s.day, s.region, s.amount]);
    await client.query('COMMIT');
    return sales.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Replace the run's day of analytics.top_region with what `select` (bound to $1 = ds) returns, in one transaction. */
export async function writeTopRegion(ctx: TaskContext, select: string): Promise<void> {
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS analytics.top_region (day DATE PRIMARY KEY, region VARCHAR(16), amount INT)');
    await client.query('BEGIN');
    await client.query('DELETE FROM analytics.top_region WHERE day = $1', [ctx.ds]);
    await client.query(`INSERT INTO analytics.top_region (day, region, amount) ${select}`, [ctx.ds]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
