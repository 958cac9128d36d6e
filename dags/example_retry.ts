import { Dag } from 'dagbox';

/**
 * A flaky upstream: the first try of `fetch` fails, the retry succeeds. retryDelay is waited on the
 * run's clock, so a simulated backfill does not sleep for real. Callbacks report each retry and failure.
 */
const dag = new Dag({
  id: 'example_retry',
  description: 'a task that fails on its first try and succeeds on retry',
  owner: 'data-eng',
  schedule: '@hourly',
  startDate: '2021-02-05T00:00:00Z',
  catchup: false,
  tags: ['example'],
  defaultArgs: {
    retries: 2,
    retryDelay: '10m',
    executionTimeout: '30s',
    onRetry: (ctx, error) => ctx.log.warn(`retrying ${ctx.taskId} after: ${(error as Error).message}`),
    onFailure: (ctx, error) => ctx.log.error(`${ctx.taskId} failed for good: ${(error as Error).message}`),
  },
});

const fetch = dag.task('fetch', (ctx) => {
  if (ctx.tryNumber === 1) throw new Error('upstream API answered 503 Service Unavailable');
  return { fetchedAt: ctx.ts, rows: 24 };
});

const store = dag.task('store', (ctx) => {
  const { rows } = ctx.xcom.pull('fetch') as { rows: number };
  ctx.log.info(`stored ${rows} rows`);
});

fetch.to(store);

export default dag;
