import { Dag } from 'dagbox';
import { daily, insertRows, sourceRows } from './_lib.ts';

/** FAULTY (check 1): APPEND without dedupe. A re-run of an interval appends its rows a second time. */
const dag = new Dag({ id: 'append_no_dedupe', ...daily });

dag.task('load', async (ctx) => {
  const rows = await sourceRows(ctx);
  const wh = ctx.postgres();
  await wh.query('CREATE TABLE IF NOT EXISTS raw_data.nps_append (id INT, user_id INT, score SMALLINT, created_at TIMESTAMP)');
  if (rows.length === 0) return 0;
  const ins = insertRows('raw_data.nps_append', ['id', 'user_id', 'score', 'created_at'], rows.map((r) => [r.id, r.user_id, r.score, r.created_at]));
  await wh.query(ins.text, ins.values);
  return rows.length;
});

export default dag;
