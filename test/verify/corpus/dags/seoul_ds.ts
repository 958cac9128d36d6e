import { Dag } from 'dagbox';
import { daily } from './_lib.ts';
import { replaceEvents, sourceEvents } from './_events.ts';

/**
 * FAULTY (timezone): a daily DAG in Asia/Seoul whose interval is the Seoul day, but which selects
 * the events of DATE(created_at) = ds, the UTC date of the logical date: half of them lie outside
 * the interval.
 */
const dag = new Dag({ id: 'seoul_ds', ...daily, timezone: 'Asia/Seoul', verify: { eventTime: { 'raw_data.events_seoul': 'created_at' } } });

dag.task('load_events', async (ctx) => {
  const rows = await sourceEvents(ctx, 'DATE(created_at) = ?', [ctx.ds]);
  await replaceEvents(ctx, 'raw_data.events_seoul', 'DELETE FROM raw_data.events_seoul WHERE created_at::date = $1', [ctx.ds], rows);
});

export default dag;
