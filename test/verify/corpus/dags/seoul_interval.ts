import { Dag } from 'dagbox';
import { daily, utc } from './_lib.ts';
import { replaceEvents, sourceEvents } from './_events.ts';

/** CORRECT (the twin of seoul_ds): a daily DAG in Asia/Seoul that selects by its data interval, the Seoul day. */
const dag = new Dag({ id: 'seoul_interval', ...daily, timezone: 'Asia/Seoul', verify: { eventTime: { 'raw_data.events_seoul_iv': 'created_at' } } });

dag.task('load_events', async (ctx) => {
  const [from, to] = [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)];
  const rows = await sourceEvents(ctx, 'created_at >= ? AND created_at < ?', [from, to]);
  await replaceEvents(ctx, 'raw_data.events_seoul_iv', 'DELETE FROM raw_data.events_seoul_iv WHERE created_at >= $1 AND created_at < $2', [from, to], rows);
});

export default dag;
