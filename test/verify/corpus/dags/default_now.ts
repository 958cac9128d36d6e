import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * FAULTY (check 1, with the timestamp hint): the day's rows are replaced correctly, in one
 * transaction, but `loaded_at` takes DEFAULT now(): every re-run writes other values.
 */
const dag = new Dag({ id: 'default_now', ...daily });

dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS raw_data.nps_loaded (
      id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP, loaded_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_loaded WHERE created_at >= $1 AND created_at < $2', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_loaded', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

export default dag;
