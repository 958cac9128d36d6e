import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows } from './_lib.ts';

/**
 * CORRECT: the course's UPSERT for a warehouse that does not enforce primary keys. Current rows
 * and new rows go to a staging table, ROW_NUMBER() keeps one row per key (the answer id, newest
 * first), and the result is swapped in with DELETE + INSERT in one transaction.
 */
const dag = new Dag({ id: 'upsert_keyed', ...daily, verify: { keys: { 'raw_data.nps_upsert': ['id'] } } });

dag.task('upsert', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_upsert (id INT, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE stage ON COMMIT DROP AS SELECT * FROM raw_data.nps_upsert');
    if (rows.length > 0) {
      const ins = insertRows('stage', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('DELETE FROM raw_data.nps_upsert');
    await client.query(`INSERT INTO raw_data.nps_upsert
      SELECT id, user_id, score, created_at FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY created_at DESC) AS rn FROM stage) s WHERE rn = 1`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

export default dag;
