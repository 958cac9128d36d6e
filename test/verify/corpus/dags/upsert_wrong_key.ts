import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows } from './_lib.ts';

/**
 * FAULTY (checks 2 and 3): an UPSERT keyed on user_id, which is not unique across days (the row
 * identity is the answer id). The table keeps whichever day ran last, so the result depends on
 * the order intervals run in, and replaying a past day rolls the table back to it.
 */
const dag = new Dag({ id: 'upsert_wrong_key', ...daily, verify: { keys: { 'raw_data.nps_latest': ['user_id'] } } });

dag.task('upsert', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_latest (id INT, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE stage (LIKE raw_data.nps_latest) ON COMMIT DROP');
    if (rows.length > 0) {
      const ins = insertRows('stage', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('DELETE FROM raw_data.nps_latest WHERE user_id IN (SELECT user_id FROM stage)');
    await client.query(`INSERT INTO raw_data.nps_latest
      SELECT id, user_id, score, created_at FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at DESC) AS rn FROM stage) s WHERE rn = 1`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

export default dag;
