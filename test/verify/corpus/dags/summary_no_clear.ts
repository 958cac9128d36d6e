import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * FAULTY (check 1): the raw load replaces the day correctly, but the summary is built with
 * INSERT ... SELECT and never cleared: every re-run adds another summary row for the day.
 */
const dag = new Dag({ id: 'summary_no_clear', ...daily, verify: { keys: { 'raw_data.nps_raw': ['id'] } } });

const load = dag.task('load_raw', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_raw (id INT, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_raw WHERE created_at >= $1 AND created_at < $2', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_raw', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('COMMIT');
  } finally {
    client.release();
  }
});

const summarize = dag.task('summarize', async (ctx) => {
  const wh = ctx.postgres();
  await wh.query('CREATE TABLE IF NOT EXISTS analytics.nps_daily (day DATE, answers INT, avg_score NUMERIC(4, 2))');
  await wh.query(
    `INSERT INTO analytics.nps_daily (day, answers, avg_score)
     SELECT $1::date, count(*), round(avg(score), 2) FROM raw_data.nps_raw WHERE created_at >= $2 AND created_at < $3`,
    [ctx.ds, utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)],
  );
});

load.to(summarize);
export default dag;
