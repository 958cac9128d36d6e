import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows, utc } from './_lib.ts';

/**
 * FAULTY (check 4): DELETE then INSERT, each committed on its own. A failure between them (an
 * injected one, at the faultPoint) leaves the day's rows deleted.
 */
const dag = new Dag({ id: 'delete_insert_no_tx', ...daily });

dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const wh = ctx.postgres();
  await wh.query('CREATE TABLE IF NOT EXISTS raw_data.nps_di (id INT PRIMARY KEY, user_id INT, score SMALLINT, created_at TIMESTAMP)');
  await wh.query('DELETE FROM raw_data.nps_di WHERE created_at >= $1 AND created_at < $2', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
  ctx.faultPoint('between-delete-and-insert');
  if (rows.length === 0) return 0;
  const ins = insertRows('raw_data.nps_di', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
  await wh.query(ins.text, ins.values);
  return rows.length;
});

export default dag;
