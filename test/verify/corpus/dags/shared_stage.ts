import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows } from './_lib.ts';

/**
 * FAULTY (concurrent runs): maxActiveRuns 3, and every run stages its rows in the same table,
 * raw_data.nps_stage, emptied and filled outside the load's transaction (and emptied again after it). One at a time each run
 * finds only its own rows there; when runs overlap, one run copies another's rows into the target.
 */
const dag = new Dag({ id: 'shared_stage', ...daily, maxActiveRuns: 3 });

dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const pg = ctx.postgres();
  await pg.query('CREATE TABLE IF NOT EXISTS raw_data.nps_stage (id INT, user_id INT, score SMALLINT, created_at TIMESTAMP)');
  await pg.query('CREATE TABLE IF NOT EXISTS raw_data.nps_shared (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
  await pg.query('DELETE FROM raw_data.nps_stage');
  if (rows.length > 0) {
    const ins = insertRows('raw_data.nps_stage', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
    await pg.query(ins.text, ins.values);
  }
  const client = await pg.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM raw_data.nps_shared WHERE id IN (SELECT id FROM raw_data.nps_stage)');
    await client.query('INSERT INTO raw_data.nps_shared SELECT * FROM raw_data.nps_stage');
    await client.query('COMMIT');
    await client.query('DELETE FROM raw_data.nps_stage');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

export default dag;
