import { describe, expect, it } from 'vitest';
import { chain } from '../../src/dag/dag.ts';
import type { TaskContext } from '../../src/dag/types.ts';
import { runDagRun } from '../../src/run/index.ts';
import { concurrency, dag, day, op, testEnv } from './helpers.ts';

describe('runDagRun order and parallelism', () => {
  it('runs t1 >> t2 >> t3 in topological order and succeeds', async () => {
    const order: string[] = [];
    const d = dag();
    const t = (id: string) => d.task(id, () => void order.push(id));
    chain(t('t3x'), t('t2'), t('t1'));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(order).toEqual(['t3x', 't2', 't1']);
    expect(run.state).toBe('success');
    expect(run.runId).toBe('manual__2021-02-05T00:00:00+00:00');
    expect(run.tasks.map((x) => [x.taskId, x.state, x.tryNumber])).toEqual([
      ['t3x', 'success', 1],
      ['t2', 'success', 1],
      ['t1', 'success', 1],
    ]);
  });

  it('runs a fan-out in parallel and the fan-in only after every branch', async () => {
    const c = concurrency();
    const done: string[] = [];
    const d = dag();
    const start = d.task('start', () => {});
    const branches = ['a', 'b', 'c'].map((id) => d.task(id, () => c.around(() => void done.push(id))));
    const end = d.task('end', () => {
      expect(done.sort()).toEqual(['a', 'b', 'c']);
    });
    start.to(branches);
    end.after(branches);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.state).toBe('success');
    expect(c.max).toBe(3);
  });

  it('honours maxActiveTasks from the environment and from the DAG', async () => {
    for (const [envLimit, dagLimit, expected] of [[2, undefined, 2], [undefined, 3, 3], [undefined, undefined, 10]] as const) {
      const c = concurrency();
      const d = dag('limits', dagLimit ? { maxActiveTasks: dagLimit } : {});
      for (let i = 0; i < 10; i++) d.task(`t${i}`, () => c.around(() => {}));
      const run = await runDagRun(d, day('2021-02-05'), testEnv(envLimit ? { maxActiveTasks: envLimit } : {}));
      expect(run.state).toBe('success');
      expect(c.max).toBe(expected);
    }
  });

  it('fills every TaskContext field', async () => {
    let seen: TaskContext | undefined;
    const d = dag('ctx', { params: { table: 'nps' } });
    d.task('first', () => {});
    d.task('probe', (ctx) => {
      seen = ctx;
    }).after('first');
    await runDagRun(d, day('2021-02-06'), testEnv({ hooks: () => ({ mysql: () => 'hooked', ds: 'must not override' }) }));
    expect(seen).toMatchObject({
      dagId: 'ctx',
      taskId: 'probe',
      runId: 'manual__2021-02-06T00:00:00+00:00',
      tryNumber: 1,
      ds: '2021-02-06',
      dsNodash: '20210206',
      ts: '2021-02-06T00:00:00+00:00',
      prevDs: '2021-02-05',
      nextDs: '2021-02-07',
      params: { table: 'nps' },
    });
    expect(seen!.logicalDate.toISOString()).toBe('2021-02-06T00:00:00.000Z');
    expect(seen!.dataIntervalStart.toISOString()).toBe('2021-02-06T00:00:00.000Z');
    expect(seen!.dataIntervalEnd.toISOString()).toBe('2021-02-07T00:00:00.000Z');
    expect(seen!.signal).toBeInstanceOf(AbortSignal);
    expect(seen!.render('{{ ds_nodash }}/{{ params.table }}')).toBe('20210206/nps');
    expect((seen!.mysql as unknown as () => string)()).toBe('hooked');
  });

  it("prev_ds on a DAG's first interval is the previous schedule, as Airflow 2's dag.previous_schedule (not None)", async () => {
    const seen: Record<string, string> = {};
    const daily = dag('first_daily');
    daily.task('probe', (ctx) => void (seen.daily = `${ctx.prevDs}|${ctx.render('{{ prev_ds }} {{ prev_ds_nodash }} {{ prev_execution_date }}')}`));
    await runDagRun(daily, day('2021-02-05'), testEnv());
    expect(seen.daily).toBe('2021-02-04|2021-02-04 20210204 2021-02-04T00:00:00+00:00');
    const cron = dag('first_cron', { schedule: '0 2 * * *', startDate: '2021-02-05T02:00:00Z' });
    cron.task('probe', (ctx) => void (seen.cron = ctx.render('{{ prev_execution_date }} -> {{ logical_date }}')));
    await runDagRun(cron, { start: new Date('2021-02-05T02:00:00Z'), end: new Date('2021-02-06T02:00:00Z') }, testEnv());
    expect(seen.cron).toBe('2021-02-04T02:00:00+00:00 -> 2021-02-05T02:00:00+00:00');
  });

  it('templates see the run and the task: run_id, dag, task, ti.xcom_pull, dag_run', async () => {
    let text = '';
    const d = dag('ctx_names');
    d.task('first', () => ({ rows: 3 }));
    d.task('probe', (ctx) => {
      text = ctx.render(
        "{{ run_id }}|{{ dag.dag_id }}|{{ task.task_id }}|{{ ti.task_id }}|{{ ti.xcom_pull(task_ids='first')['rows'] }}|{{ task_instance.xcom_pull('first').rows }}|{{ dag_run.run_id == run_id }}|{{ task_instance_key_str }}",
      );
    }).after('first');
    await runDagRun(d, day('2021-02-05'), testEnv());
    expect(text).toBe('manual__2021-02-05T00:00:00+00:00|ctx_names|probe|probe|3|3|True|ctx_names__probe__20210205');
  });

  it('emits run-start, task-state transitions in Airflow order, and run-end', async () => {
    const env = testEnv();
    const d = dag();
    d.task('only', () => {});
    await runDagRun(d, day('2021-02-05'), env);
    expect(env.events.map((e) => (e.type === 'task-state' ? e.state : e.type))).toEqual([
      'run-start',
      'scheduled',
      'queued',
      'running',
      'success',
      'run-end',
    ]);
  });

  it('keeps running when an onEvent observer throws', async () => {
    const d = dag();
    d.task('only', () => 1);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const run = await runDagRun(d, day('2021-02-05'), testEnv({ onEvent: () => { throw new Error('observer bug'); } }));
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(run.state).toBe('success');
    expect(warnings.filter((w) => w.includes('observer bug'))).toHaveLength(1);
  });

  it('runs an operator task with its templateFields rendered', async () => {
    const d = dag();
    let received: unknown;
    d.task('op', op({
      kind: 'probe',
      args: { sql: "SELECT * FROM t WHERE d = '{{ ds }}'", keys: ['{{ ds_nodash }}', { k: '{{ var.value.bucket }}' }], n: 3 },
      templateFields: ['sql', 'keys'],
      execute: (_ctx, args) => {
        received = args;
        return 'ok';
      },
    }));
    const run = await runDagRun(d, day('2021-02-05'), testEnv({ variables: { bucket: 'b1' } }));
    expect(run.state).toBe('success');
    expect(received).toEqual({ sql: "SELECT * FROM t WHERE d = '2021-02-05'", keys: ['20210205', { k: 'b1' }], n: 3 });
  });

  it('fails an operator task whose template names an unknown variable, with the task and field in the message', async () => {
    const d = dag();
    d.task('op', op({ kind: 'probe', args: { sql: '{{ nope }}' }, templateFields: ['sql'], execute: () => {} }));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.error).toMatch(/nope/);
    expect(run.tasks[0]!.error).toMatch(/op/);
    expect(run.tasks[0]!.error).toMatch(/sql/);
  });
});

describe('runDagRun never hangs on a DAG that cannot complete', () => {
  it('refuses a DAG with a dependency on a task that is not in it, instead of ignoring the dependency', async () => {
    const d = dag();
    d.task('a', () => {});
    d.task('b', () => {}).after('ghost');
    await expect(runDagRun(d, day('2021-02-05'), testEnv())).rejects.toThrow(/"ghost" -> "b"/);
  });

  it('fails the run of a cyclic DAG with the tasks that never ran', async () => {
    const d = dag();
    const a = d.task('a', () => {});
    const b = d.task('b', () => {});
    const c = d.task('c', () => {});
    a.to(b).to(c).to(b);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/2 task\(s\) never ran: "b" \(waits for "c", which did not run\); "c" \(waits for "b"/);
  });

  it('succeeds with an empty DAG', async () => {
    const run = await runDagRun(dag(), day('2021-02-05'), testEnv());
    expect(run.state).toBe('success');
  });
});

describe('rows written', () => {
  it('records rows from a return value shaped { rows: n }, as operators return, and nothing otherwise', async () => {
    const d = dag();
    d.task('load', () => ({ table: 'raw_data.nps', rows: 42 }));
    d.task('count', () => 7);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.tasks.find((t) => t.taskId === 'load')!.rows).toBe(42);
    expect(run.tasks.find((t) => t.taskId === 'count')!.rows).toBeUndefined();
  });
});
