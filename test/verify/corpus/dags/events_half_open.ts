import { Dag } from 'dagbox';
import { daily, utc } from './_lib.ts';
import { replaceEvents, sourceEvents } from './_events.ts';

/** CORRECT (the twin of events_closed and events_watermark): [start, end) both to select and to delete. */
const dag = new Dag({ id: 'events_half_open', ...daily });

dag.task('load_events', async (ctx) => {
  const [from, to] = [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)];
  const rows = await sourceEvents(ctx, 'created_at >= ? AND created_at < ?', [from, to]);
  await replaceEvents(ctx, 'raw_data.events_half_open', 'DELETE FROM raw_data.events_half_open WHERE created_at >= $1 AND created_at < $2', [from, to], rows);
});

export default dag;
