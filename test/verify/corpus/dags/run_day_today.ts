import { Dag } from 'dagbox';
import { daily, utc } from './_lib.ts';
import { sourceEvents } from './_events.ts';

/**
 * FAULTY (wall clock): the daily counts are stamped run_day = CURRENT_DATE, the day the task runs,
 * and cleared by run_day = ds: a re-run never finds the rows it wrote, and a backfill stamps every
 * past day with today.
 */
const dag = new Dag({ id: 'run_day_today', ...daily });

dag.task('count_events', async (ctx) => {
  const rows = await sourceEvents(ctx, 'created_at >= ? AND created_at < ?', [utc(ctx.dataIntervalStart), utc(ctx.dataIntervalEnd)]);
  const client = await ctx.postgres().connect();
  try {
    await client.query('CREATE TABLE IF NOT EXISTS analytics.event_counts (run_day DATE, kind VARCHAR(16), n INT)');
    await client.query('BEGIN');
    await client.query('DELETE FROM analytics.event_counts WHERE run_day = $1', [ctx.ds]);
    for (const kind of [...new Set(rows.map((r) => r.kind))].sort()) {
      await client.query('INSERT INTO analytics.event_counts VALUES (CURRENT_DATE, $1, $2)', [kind, rows.filter((r) => r.kind === kind).length]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

export default dag;
