import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * FAULTY (check 5): loads the rows of the interval *before* its own (an off-by-one in the source
 * query's dates), into a table whose event time is declared. Idempotent and order-safe, but each
 * run writes rows outside its data interval.
 */
const dag = new Dag({ id: 'off_by_one', ...daily, verify: { eventTime: { 'raw_data.nps_lagged': 'created_at' } } });

dag.task('load', async (ctx) => {
  const day = 86_400_000;
  const shifted = { ...ctx, dataIntervalStart: new Date(ctx.dataIntervalStart.getTime() - day), dataIntervalEnd: new Date(ctx.dataIntervalEnd.getTime() - day) };
  const rows = await sourceRows(shifted);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_lagged (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_lagged WHERE created_at >= $1 AND created_at < $2', [utc(shifted.dataIntervalStart), utc(shifted.dataIntervalEnd)]);
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_lagged', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
});

export default dag;
