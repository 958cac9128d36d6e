import { Dag } from 'dagbox';
import { daily, utc } from './_lib.ts';
import { replaceEvents, sourceEvents } from './_events.ts';

/**
 * FAULTY (closed range): the interval's rows are deleted with a half-open range but selected with
 * BETWEEN start AND end, so an event stamped exactly at midnight belongs to two intervals and a
 * re-run loads it once more.
 */
const dag = new Dag({ id: 'events_closed', ...daily });

dag.task('load_events', async (ctx) => {
  const [from, to] = [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)];
  const rows = await sourceEvents(ctx, 'created_at BETWEEN ? AND ?', [from, to]);
  await replaceEvents(ctx, 'raw_data.events_closed', 'DELETE FROM raw_data.events_closed WHERE created_at >= $1 AND created_at < $2', [from, to], rows);
});

export default dag;
