import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * FAULTY (no pass without evidence): the data check hangs under the failure alert, whose trigger
 * rule is one_failed: when the load succeeds the alert is skipped, and so is the check. Every run
 * succeeds, and the check never runs on any of them.
 */
const dag = new Dag({ id: 'check_never_runs', ...daily });

const load = dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_alerted (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_alerted WHERE created_at >= $1 AND created_at < $2', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_alerted', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
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

const alert = dag.task('alert_on_failure', (ctx) => ctx.log.warn(`the load of ${ctx.ds} failed`), { triggerRule: 'one_failed' });
const check = dag.task('check_scores', async (ctx) => {
  const { rows } = await ctx.postgres().query('SELECT count(*)::int AS n FROM raw_data.nps_alerted WHERE score NOT BETWEEN 0 AND 10');
  if (rows[0].n > 0) throw new Error(`${rows[0].n} scores outside 0..10`);
});

load.to(alert).to(check);
export default dag;
