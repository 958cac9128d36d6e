import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows } from './_lib.ts';

/**
 * FAULTY (no pass without evidence): the target refuses a score of 0 (a CHECK constraint the
 * source does not have), so the load of 2021-02-07 fails; its data check never runs there. The
 * verification must not count that check as passed, nor be green.
 */
const dag = new Dag({ id: 'check_after_failure', ...daily });

const load = dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_positive (id INT PRIMARY KEY, user_id INT, score SMALLINT CHECK (score > 0), created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_positive WHERE id = ANY($1::int[])', [rows.map((r) => r.id)]);
    if (rows.length > 0) {
      const ins = insertRows('raw_data.nps_positive', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
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

const check = dag.task('check_positive', async (ctx) => {
  const { rows } = await ctx.postgres().query('SELECT count(*)::int AS n FROM raw_data.nps_positive WHERE score <= 0');
  if (rows[0].n > 0) throw new Error(`raw_data.nps_positive holds ${rows[0].n} rows with a score of 0 or less`);
});

load.to(check);
export default dag;
