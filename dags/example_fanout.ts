import { Dag } from 'dagbox';

/**
 * Fan-out and fan-in: start >> [per-region tasks made in a loop, inside a task group] >> report,
 * and a cleanup that runs whatever happened upstream (trigger rule all_done).
 */
const regions = ['seoul', 'busan', 'incheon'];

const dag = new Dag({
  id: 'example_fanout',
  description: 'one task fans out to a task group of loop-made tasks, which fan in to a report',
  owner: 'data-eng',
  schedule: '0 2 * * *',
  startDate: '2021-02-05',
  timezone: 'Asia/Seoul',
  tags: ['example'],
});

const start = dag.task('start', (ctx) => ctx.log.info(`window ${ctx.dataIntervalStart.toISOString()} .. ${ctx.dataIntervalEnd.toISOString()}`));

const perRegion = dag.group('per_region');
for (const region of regions) {
  perRegion.task(`count_${region}`, (ctx) => {
    const count = (region.length * 7 + Number(ctx.dsNodash)) % 100;
    ctx.log.info(`${region}: ${count} orders`);
    return count;
  });
}

const report = dag.task('report', (ctx) => {
  const counts = ctx.xcom.pull(regions.map((r) => `per_region.count_${r}`)) as number[];
  const total = counts.reduce((a, b) => a + b, 0);
  ctx.log.info(`total ${total} orders on ${ctx.ds}`);
  return total;
});

const cleanup = dag.task('cleanup', (ctx) => ctx.log.info('temporary files removed'), { triggerRule: 'all_done' });

start.to(perRegion).to(report).to(cleanup);

export default dag;
