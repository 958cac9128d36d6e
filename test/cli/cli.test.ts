import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dagbox, exampleProject } from '../helpers/cli.ts';

const project = exampleProject({
  'dags/zz_failing.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'always_fails', schedule: '@daily', startDate: '2021-02-05', defaultArgs: { retries: 1, retryDelay: '1h' } });
dag.task('boom', () => { throw new Error('source table prod.nps is missing'); }).to(dag.task('after', () => {}));
export default dag;
`,
  'dags/zz_triggers.ts': `import { Dag, param } from 'DAGBOX';
export const producer = new Dag({ id: 'zz_producer', schedule: null, startDate: '2021-02-05', params: { limit: param(10, { type: 'integer', minimum: 1 }) } });
producer.task('load', (ctx) => ctx.log.info('limit ' + String(ctx.params.limit) + ' conf ' + JSON.stringify(ctx.dagRun.conf)), { outputs: ['raw_data.zz'] });
export const consumer = new Dag({ id: 'zz_consumer', schedule: ['raw_data.zz'], startDate: '2021-02-05' });
consumer.task('report', (ctx) => ctx.log.info('report over ' + ctx.dataIntervalStart.toISOString()));
`,
});
afterAll(() => project.remove());
const run = (...args: string[]) => dagbox(args, { cwd: project.dir });

describe('dagbox CLI (spawned on the example DAGs)', () => {
  it('dags list shows every example DAG with its schedule and task count', async () => {
    const r = await run('dags', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/example_linear\s+@daily\s+3\s+data-eng\s+dags\/example_linear\.ts/);
    expect(r.stdout).toMatch(/example_fanout\s+0 2 \* \* \*\s+6\s/);
    expect(r.stdout).toMatch(/example_retry\s+@hourly\s+2\s/);
  });

  it('dags list --json prints a document for scripts', async () => {
    const r = await run('dags', 'list', '--json');
    const doc = JSON.parse(r.stdout) as { dags: { dagId: string }[]; errors: unknown[] };
    expect(doc.dags.map((d) => d.dagId).sort()).toEqual([
      'always_fails',
      'course_summary',
      'example_fanout',
      'example_linear',
      'example_retry',
      'mysql_to_redshift',
      'mysql_to_redshift_v2',
      'name_gender',
      'partner_orders',
      'weather_forecast',
      'zz_consumer',
      'zz_producer',
    ]);
    expect(doc.errors).toEqual([]);
  });

  it('dags show draws the levels and edges of the fan-out DAG', async () => {
    const r = await run('dags', 'show', 'example_fanout');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(' 0  start');
    expect(r.stdout).toContain(' 1  per_region.count_seoul   per_region.count_busan   per_region.count_incheon');
    expect(r.stdout).toContain(' 2  report');
    expect(r.stdout).toContain('start >> per_region.count_seoul, per_region.count_busan, per_region.count_incheon');
  });

  it('tasks list prints tasks in run order with upstreams and trigger rules', async () => {
    const r = await run('tasks', 'list', 'example_fanout');
    expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual([
      'start', 'per_region.count_seoul', 'per_region.count_busan', 'per_region.count_incheon', 'report', 'cleanup',
    ]);
    expect(r.stdout).toMatch(/cleanup\s+python \[all_done\] <- report/);
  });

  it('dags next lists the intervals due at a simulated time, catchup on', async () => {
    const r = await run('dags', 'next', 'example_linear', '--now', '2021-02-08T12:00:00Z', '--json');
    const doc = JSON.parse(r.stdout) as { intervals: { logicalDate: string }[] };
    expect(doc.intervals.map((i) => i.logicalDate.slice(0, 10))).toEqual(['2021-02-05', '2021-02-06', '2021-02-07']);
  });

  it('dags next with catchup off gives only the latest complete interval', async () => {
    const r = await run('dags', 'next', 'example_retry', '--now', '2021-02-06T10:30:00Z');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 interval(s) due (catchup off: only the latest)');
    expect(r.stdout).toContain('data interval [2021-02-06T09:00:00Z, 2021-02-06T10:00:00Z)');
  });

  it('dags test runs one DAG run; the flaky task succeeds on its retry', async () => {
    const r = await run('dags', 'test', 'example_retry', '2021-02-05T03:00:00Z', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { state: string; tasks: { taskId: string; state: string; tryNumber: number; log: string[] }[] };
    expect(doc.state).toBe('success');
    const fetch = doc.tasks.find((t) => t.taskId === 'fetch')!;
    expect(fetch).toMatchObject({ state: 'success', tryNumber: 2 });
    expect(fetch.log.join('\n')).toContain('retrying fetch after: upstream API answered 503');
  });

  it('dags test is a manual run at DATE whose interval ends at DATE, as Airflow 2; --scheduled runs the interval starting at DATE', async () => {
    type Doc = { logicalDate?: string; interval: { logicalDate: string; dataIntervalStart: string; dataIntervalEnd: string } };
    const manual = JSON.parse((await run('dags', 'test', 'example_retry', '2021-02-05T05:00', '--json')).stdout) as Doc;
    expect(manual.interval).toEqual({ logicalDate: '2021-02-05T05:00:00.000Z', dataIntervalStart: '2021-02-05T04:00:00.000Z', dataIntervalEnd: '2021-02-05T05:00:00.000Z' });
    const scheduled = JSON.parse((await run('dags', 'test', 'example_retry', '2021-02-05T05:00', '--scheduled', '--json')).stdout) as Doc;
    expect(scheduled.logicalDate).toBeUndefined();
    expect(scheduled.interval).toEqual({ logicalDate: '2021-02-05T05:00:00.000Z', dataIntervalStart: '2021-02-05T05:00:00.000Z', dataIntervalEnd: '2021-02-05T06:00:00.000Z' });
  }, 300_000); // a guard: each spawn of the CLI takes seconds, far more on a loaded machine

  it('dags test of a failing DAG exits 1 and says which task failed and why', async () => {
    const r = await run('dags', 'test', 'always_fails', '2021-02-05');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/always_fails 2021-02-05 failed/);
    expect(r.stderr).toContain('boom failed after 2 tries: source table prod.nps is missing');
  });

  it('dags backfill runs [START, END], END included as in Airflow 2, in order, prints the intervals, and records history', async () => {
    const r = await run('dags', 'backfill', 'example_linear', '-s', '2021-02-05', '-e', '2021-02-07');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('example_linear: 3 interval(s) with logical date in [2021-02-05, 2021-02-07] (END included)');
    expect(r.stdout).toContain('2021-02-05, 2021-02-06, 2021-02-07');
    expect(r.stdout.match(/^example_linear 2021-02-0\d success/gm)).toHaveLength(3);
    expect(r.stdout).toContain('3 succeeded, 0 failed');
    expect(r.stderr).toMatch(/\[3\/3\] 100%/);
    expect(readdirSync(join(project.dir, '.dagbox/runs/example_linear'))).toHaveLength(3);

    const again = await run('dags', 'backfill', 'example_linear', '-s', '2021-02-05', '-e', '2021-02-08');
    expect(again.stdout).toContain('1 interval(s)');
    expect(again.stdout).toContain('3 skipped because they already ran');

    const all = await run('dags', 'backfill', 'example_linear', '-s', '2021-02-05', '-e', '2021-02-06', '--reprocess', 'completed', '--run-backwards', '--json');
    const doc = JSON.parse(all.stdout) as { runs: { interval: { logicalDate: string } }[] };
    expect(doc.runs.map((x) => x.interval.logicalDate.slice(0, 10))).toEqual(['2021-02-06', '2021-02-05']);
  }, 300_000); // a guard: each spawn of the CLI takes seconds, far more on a loaded machine

  it('dags backfill --dry-run runs nothing', async () => {
    const r = await run('dags', 'backfill', 'example_fanout', '-s', '2021-03-01', '-e', '2021-03-03', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('example_fanout: 2 interval(s)');
    expect(r.stdout).not.toMatch(/success/);
  });

  it('dags backfill --end-exclusive reads [START, END), as the course notes write it', async () => {
    const r = await run('dags', 'backfill', 'example_linear', '-s', '2021-02-05', '-e', '2021-02-08', '--end-exclusive', '--reprocess', 'completed', '--dry-run', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { intervals: { logicalDate: string }[] };
    expect(doc.intervals.map((i) => i.logicalDate.slice(0, 10))).toEqual(['2021-02-05', '2021-02-06', '2021-02-07']);
  });

  it('dags backfill exits 1 when a run fails, and --reprocess failed re-runs failed intervals', async () => {
    const r = await run('dags', 'backfill', 'always_fails', '-s', '2021-03-05', '-e', '2021-03-06');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('0 succeeded, 2 failed');
    const skipped = await run('dags', 'backfill', 'always_fails', '-s', '2021-03-05', '-e', '2021-03-06');
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('0 interval(s)');
    expect(skipped.stdout).toContain('2 skipped because they already ran');
    const again = await run('dags', 'backfill', 'always_fails', '-s', '2021-03-05', '-e', '2021-03-06', '--reprocess', 'failed');
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('0 succeeded, 2 failed');
  }, 300_000); // a guard: each spawn of the CLI takes seconds, far more on a loaded machine

  it('dags trigger runs a manual run with --conf as dag_run.conf over the params, then the DAGs its datasets trigger', async () => {
    const r = await run('dags', 'trigger', 'zz_producer', '--conf', '{"limit": 5}', '-e', '2021-02-06', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { runId: string; conf: unknown; tasks: { log: string[] }[]; triggered: { dagId: string; runType: string; state: string }[] };
    expect(doc.runId).toBe('manual__2021-02-06T00:00:00+00:00');
    expect(doc.conf).toEqual({ limit: 5 });
    expect(doc.tasks[0]!.log.join('\n')).toContain('limit 5 conf {"limit":5}');
    expect(doc.triggered.map((t) => [t.dagId, t.runType, t.state])).toEqual([['zz_consumer', 'dataset_triggered', 'success']]);
    const bad = await run('dags', 'trigger', 'zz_producer', '--conf', '{"limit": 0}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cannot trigger DAG "zz_producer": param "limit" is 0, which is less than the minimum 1');
  }, 300_000); // a guard: each spawn of the CLI takes seconds, far more on a loaded machine

  it('tasks test runs one task without its upstream and records nothing', async () => {
    const r = await run('tasks', 'test', 'example_linear', 'extract', '2021-02-05');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/example_linear\.extract 2021-02-05 success/);
    expect(r.stderr).toContain('[extract] extracted 6 records for 2021-02-05');
  });

  it('tasks render says a function task has no templated fields', async () => {
    const r = await run('tasks', 'render', 'example_linear', 'load', '2021-02-05');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('has no templated fields');
  });

  it('an unknown DAG, task or date is a clear error with a suggestion and a non-zero exit', async () => {
    const dag = await run('dags', 'test', 'example_linaer', '2021-02-05');
    expect(dag.code).toBe(1);
    expect(dag.stderr).toContain('no DAG "example_linaer"');
    expect(dag.stderr).toContain('(did you mean "example_linear"?)');
    const task = await run('tasks', 'test', 'example_linear', 'lod', '2021-02-05');
    expect(task.stderr).toContain('DAG "example_linear" has no task "lod" (did you mean "load"?)');
    const date = await run('dags', 'test', 'example_linear', 'yesterday');
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('DATE "yesterday" is not a date');
    const range = await run('dags', 'backfill', 'example_linear', '-s', '2021-02-08', '-e', '2021-02-05');
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('must not be before --start-date');
  }, 300_000); // a guard: each spawn of the CLI takes seconds, far more on a loaded machine

  it('a broken DAG file makes dags list exit 1 with file:line, and the other DAGs still list', async () => {
    const p = exampleProject({ 'dags/broken.ts': "import { Dag } from 'DAGBOX';\nexport default new Dag({ id: 'x', schedule: '@daily', startDate: '2021-02-05' }).task('a', () => {}) +;\n" });
    try {
      const r = await dagbox(['dags', 'list'], { cwd: p.dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('example_linear');
      expect(r.stderr).toMatch(/import error dags\/broken\.ts:2:\d+: does not compile/);
    } finally {
      p.remove();
    }
  });

  it('--help works on every command and exits 0', async () => {
    for (const args of [[], ['dags'], ['tasks'], ['dags', 'list'], ['dags', 'show'], ['dags', 'next'], ['dags', 'test'], ['dags', 'trigger'], ['dags', 'backfill'], ['tasks', 'list'], ['tasks', 'render'], ['tasks', 'test'], ['dev'], ['test']]) {
      const r = await run(...args, '--help');
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/^Usage: dagbox/);
    }
    const backfill = await run('dags', 'backfill', '--help');
    expect(backfill.stdout).toContain('[START, END], both included');
    expect(backfill.stdout).toContain('--end-exclusive');
  }, 300_000); // a guard: each spawn of the CLI takes seconds, far more on a loaded machine

  it('an unknown command is a usage error with exit 2', async () => {
    const r = await run('dags', 'frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});
