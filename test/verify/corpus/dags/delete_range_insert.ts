import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * CORRECT: an incremental load that deletes the interval's range and inserts its rows in one
 * transaction, declares its event-time column (check 5) and checks its output (check 6).
 */
const dag = new Dag({ id: 'delete_range_insert', ...daily, verify: { eventTime: { 'raw_data.nps_range': 'created_at' } } });

const load = dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_range (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_range WHERE created_at >= $1 AND created_at < $2', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
    ctx.faultPoint('deleted');
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_range', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

const check = dag.task('check_rows', async (ctx) => {
  const { rows } = await ctx.postgres().query('SELECT count(*)::int AS n FROM raw_data.nps_range WHERE created_at >= $1 AND created_at < $2', [
    utc(ctx.dataIntervalStart),
    utc(ctx.dataIntervalEnd),
  ]);
  const loaded = ctx.xcom.pull('load') as number;
  if (rows[0].n !== loaded) throw new Error(`raw_data.nps_range holds ${rows[0].n} rows of ${ctx.ds}, the load wrote ${loaded}`);
});

load.to(check);
export default dag;
