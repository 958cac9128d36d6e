import { Dag } from 'dagbox';

/** The canonical chain, t1 >> t2 >> t3: extract a day's records, transform them, load a count. */
const dag = new Dag({
  id: 'example_linear',
  description: 'extract >> transform >> load, passing values through XCom',
  owner: 'data-eng',
  schedule: '@daily',
  startDate: '2021-02-05',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['example'],
  params: { multiplier: 10 },
  defaultArgs: { retries: 1, retryDelay: '5m' },
});

const extract = dag.task('extract', (ctx) => {
  // Deterministic stand-in for a source query: the same day always yields the same records.
  const day = Number(ctx.ds.slice(-2));
  const records = Array.from({ length: day % 7 + 1 }, (_, i) => ({ id: day * 100 + i, score: (day + i) % 10 }));
  ctx.log.info(`extracted ${records.length} records for ${ctx.ds}`);
  return records;
});

const transform = dag.task('transform', (ctx) => {
  const records = ctx.xcom.pull('extract') as { id: number; score: number }[];
  const multiplier = Number(ctx.params.multiplier);
  return records.map((r) => ({ ...r, weighted: r.score * multiplier }));
});

const load = dag.task('load', (ctx) => {
  const rows = ctx.xcom.pull('transform') as unknown[];
  ctx.log.info(`loaded ${rows.length} rows into raw_data.example for ${ctx.ds}`);
  return rows.length;
});

extract.to(transform).to(load);

export default dag;
