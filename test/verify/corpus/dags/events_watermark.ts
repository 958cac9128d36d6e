import { Dag } from 'dagbox';
import { daily, utc } from './_lib.ts';
import { replaceEvents, sourceEvents } from './_events.ts';

/**
 * FAULTY (reads its own output): the load starts from a watermark, the target's own
 * MAX(created_at), and takes rows at or after it: each run reloads the newest row already there,
 * and what a run loads depends on what earlier runs left.
 */
const dag = new Dag({ id: 'events_watermark', ...daily });

dag.task('load_events', async (ctx) => {
  const pg = ctx.postgres();
  await pg.query('CREATE TABLE IF NOT EXISTS raw_data.events_wm (id INT, kind VARCHAR(16), created_at TIMESTAMP)');
  const { rows: mark } = await pg.query("SELECT to_char(COALESCE(MAX(created_at), '1970-01-01'), 'YYYY-MM-DD HH24:MI:SS') AS wm FROM raw_data.events_wm");
  const rows = await sourceEvents(ctx, 'created_at >= ? AND created_at < ?', [mark[0].wm, utc(ctx.dataIntervalEnd)]);
  await replaceEvents(ctx, 'raw_data.events_wm', null, [], rows);
});

export default dag;
