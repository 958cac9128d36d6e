import { describe, expect, it } from 'vitest';
import { Dag } from '../../src/dag/dag.ts';
import { runDagRun } from '../../src/run/index.ts';
import { inScope, routeWarning, scopeLabel } from '../../src/shared/task-scope.ts';
import { testEnv } from './helpers.ts';

// Issue 20: a library's warning (the AWS SDK prints "An error was encountered in a non-retryable
// streaming request." once per failed upload) names the DAG, task and check it came from.

describe('warnings routed to the task they come from', () => {
  it('inside a task, a routed warning lands in that task log, naming DAG, task, run and check', async () => {
    const dag = new Dag({ id: 'warner', schedule: '@daily', startDate: '2021-02-01' });
    dag.task('upload', async () => {
      await Promise.resolve();
      routeWarning('AWS SDK (S3)', 'An error was encountered in a non-retryable streaming request.');
    });
    const interval = { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') };
    const run = await inScope({ check: 'idempotency re-run' }, () => runDagRun(dag, interval, testEnv(), { runType: 'backfill' }));
    const log = run.tasks[0]!.log.join('\n');
    expect(log).toMatch(/AWS SDK \(S3\): An error was encountered in a non-retryable streaming request\. \(DAG warner, task upload, run backfill__2021-02-05T00:00:00\+00:00, check idempotency re-run\)/);
  });

  it('outside any run, the label says so', () => {
    expect(scopeLabel({})).toBe('outside any DAG run');
  });
});
