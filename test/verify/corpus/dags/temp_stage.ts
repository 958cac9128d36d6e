import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * CORRECT (the twin of shared_stage): maxActiveRuns 3, and each run stages its rows in a
 * temporary table of its own session, then replaces its interval in the target in one
 * transaction. Runs that overlap touch disjoint rows.
 */
const dag = new Dag({ id: 'temp_stage', ...daily, maxActiveRuns: 3 });

dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS raw_data.nps_temp_stage (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE stage (LIKE raw_data.nps_temp_stage) ON COMMIT DROP');
    if (rows.length > 0) {
      const ins = insertRows('stage', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
      await client.query(ins.text, ins.values);
    }
    await client.query('DELETE FROM raw_data.nps_temp_stage WHERE created_at >= $1 AND created_at < $2', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
    await client.query('INSERT INTO raw_data.nps_temp_stage SELECT * FROM stage');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

export default dag;
