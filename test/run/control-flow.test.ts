import { describe, expect, it } from 'vitest';
import { FailError, SkipError } from '../../src/dag/errors.ts';
import { runDagRun } from '../../src/run/index.ts';
import { dag, day, states, testEnv } from './helpers.ts';

describe('skipped tasks', () => {
  it('a SkipError ends the task skipped without retries, and all_success downstream is skipped too', async () => {
    const d = dag();
    let tries = 0;
    const check = d.task('check', () => {
      tries++;
      throw new SkipError('no file today');
    }, { retries: 3 });
    check.to(d.task('load', () => {})).to(d.task('report', () => {}, { triggerRule: 'none_failed' }));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ check: 'skipped', load: 'skipped', report: 'success' });
    expect(tries).toBe(1);
    expect(run.state).toBe('success');
    expect(run.tasks[0]!.log.some((l) => l.includes('Skipping: no file today'))).toBe(true);
  });

  it('a FailError fails at once, with retries left', async () => {
    const d = dag();
    let tries = 0;
    d.task('auth', () => {
      tries++;
      throw new FailError('bad credentials');
    }, { retries: 3 });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ auth: 'failed' });
    expect(tries).toBe(1);
  });
});

describe('branches', () => {
  it('fails the branch task when it names a task group, and says which task to name', async () => {
    const d = dag();
    const g = d.group('grp');
    g.task('first', () => {});
    d.branch('pick', () => 'grp').to(g);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ pick: 'failed', 'grp.first': 'upstream_failed' });
    expect(run.tasks.find((t) => t.taskId === 'pick')!.error).toContain('"grp" is a task group: return the id of its first task, e.g. "grp.first"');
  });

  it('fails a branch that returns something other than task ids', async () => {
    const d = dag();
    d.branch('pick', () => 42).to(d.task('a', () => {}));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.tasks[0]!.error).toBe('branch "pick" must return a task id, a list of task ids or null, but returned 42');
  });

  it('logs the branch followed and the tasks skipped', async () => {
    const d = dag();
    d.branch('pick', () => 'a').to([d.task('a', () => {}), d.task('b', () => {})]);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ pick: 'success', a: 'success', b: 'skipped' });
    expect(run.tasks[0]!.log.join('\n')).toMatch(/Following branch \["a"\][\s\S]*Skipping tasks \["b"\]/);
  });
});

describe('latestOnly', () => {
  it('skips its direct downstream unless the run clock lies in the next interval', async () => {
    const d = dag();
    const latest = d.latestOnly('latest_only');
    latest.to(d.task('notify', () => {})).to(d.task('after', () => {}, { triggerRule: 'all_done' }));
    d.task('always_runs', () => {}).after(latest);
    const latestRun = await runDagRun(d, day('2021-02-05'), testEnv()); // clock 2021-02-06: the next interval starts now
    expect(states(latestRun)).toEqual({ latest_only: 'success', notify: 'success', after: 'success', always_runs: 'success' });
    const oldRun = await runDagRun(d, day('2021-02-01'), testEnv());
    expect(states(oldRun)).toEqual({ latest_only: 'success', notify: 'skipped', after: 'success', always_runs: 'skipped' });
  });
});

describe('priority and pools', () => {
  it('starts ready tasks by priorityWeight (downstream weight rule) when slots are scarce', async () => {
    const d = dag('prio', { maxActiveTasks: 1 });
    const order: string[] = [];
    const t = (id: string, w?: number) => d.task(id, () => void order.push(id), w === undefined ? {} : { priorityWeight: w });
    const start = t('start');
    start.to([t('low', 1), t('high', 10), t('mid', 5)]);
    await runDagRun(d, day('2021-02-05'), testEnv());
    expect(order).toEqual(['start', 'high', 'mid', 'low']);
  });

  it('runs at most a pool\'s slots at once, over tasks and runs, and fails a task of an unknown pool', async () => {
    const d = dag('pools');
    let now = 0;
    let max = 0;
    for (const id of ['a', 'b', 'c', 'd']) {
      d.task(id, async () => {
        max = Math.max(max, ++now);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        now--;
      }, { pool: 'db' });
    }
    d.task('nowhere', () => {}, { pool: 'nope' });
    const run = await runDagRun(d, day('2021-02-05'), testEnv({ pools: { db: 2 } }));
    expect(max).toBe(2);
    expect(states(run)).toMatchObject({ a: 'success', d: 'success', nowhere: 'failed' });
    expect(run.tasks.find((t) => t.taskId === 'nowhere')!.error).toContain('pool "nope" does not exist (pools: default_pool, db)');
  });
});

describe('deprecated trigger rule names', () => {
  it('reads dummy as always and none_failed_or_skipped as none_failed_min_one_success, as Airflow 2.8', async () => {
    const d = dag();
    const skipped = d.task('skip', () => {
      throw new SkipError('x');
    });
    d.task('dummy_rule', () => {}, { triggerRule: 'dummy' as never }).after(skipped);
    d.task('old_rule', () => {}, { triggerRule: 'none_failed_or_skipped' as never }).after(skipped);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ skip: 'skipped', dummy_rule: 'success', old_rule: 'skipped' });
  });
});
