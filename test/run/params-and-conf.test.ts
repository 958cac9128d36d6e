import { describe, expect, it } from 'vitest';
import { param, resolveParams } from '../../src/dag/params.ts';
import { validateDag } from '../../src/dag/validate.ts';
import type { TaskContext } from '../../src/dag/types.ts';
import { runDagRun } from '../../src/run/index.ts';
import { manualInterval, parseDate } from '../../src/schedule/index.ts';
import { dag, day, testEnv } from './helpers.ts';

/** Runs one task of a one-task DAG and returns what its context held. */
async function contextOf(
  build: (d: ReturnType<typeof dag>, seen: (ctx: TaskContext) => void) => void,
  run: { conf?: Record<string, unknown>; logicalDate?: Date; interval?: { start: Date; end: Date } } = {},
  opts: Parameters<typeof dag>[1] = {},
): Promise<TaskContext> {
  const d = dag('params_dag', opts);
  let captured: TaskContext | undefined;
  build(d, (ctx) => (captured = ctx));
  const result = await runDagRun(d, run.interval ?? day('2021-02-05'), testEnv(), { conf: run.conf, logicalDate: run.logicalDate });
  expect(result.state, JSON.stringify(result.tasks.map((t) => t.error))).toBe('success');
  return captured!;
}

describe('params: defaults, conf overrides, validation, at DAG and task level', () => {
  it('plain DAG params and param() defaults reach ctx.params and templates', async () => {
    const ctx = await contextOf((d, seen) => d.task('t', (c) => seen(c)), {}, { params: { table: 'nps', limit: param(100, { type: 'integer', minimum: 1 }) } });
    expect(ctx.params).toEqual({ table: 'nps', limit: 100 });
    expect(ctx.render('{{ params.table }}:{{ params.limit }}')).toBe('nps:100');
  });

  it("a run's conf overrides params (Airflow's dag_run_conf_overrides_params) and is dag_run.conf", async () => {
    const ctx = await contextOf((d, seen) => d.task('t', (c) => seen(c)), { conf: { limit: 5, extra: 'x' } }, { params: { limit: param(100, { type: 'integer' }) } });
    expect(ctx.params).toEqual({ limit: 5, extra: 'x' });
    expect(ctx.dagRun.conf).toEqual({ limit: 5, extra: 'x' });
  });

  it('task-level params merge over the DAG params, for that task only', async () => {
    const seen: Record<string, Record<string, unknown>> = {};
    const d = dag('task_params', { params: { table: 'nps', limit: 10 } });
    d.task('a', (c) => void (seen.a = { ...c.params, rendered: c.render('{{ params.table }}') }), { params: { table: 'nps_a' } });
    d.task('b', (c) => void (seen.b = c.params));
    expect((await runDagRun(d, day('2021-02-05'), testEnv())).state).toBe('success');
    expect(seen.a).toEqual({ table: 'nps_a', limit: 10, rendered: 'nps_a' });
    expect(seen.b).toEqual({ table: 'nps', limit: 10 });
  });

  it('a conf that breaks a param schema is refused with a sentence naming the param', async () => {
    const d = dag('bad_conf', { params: { limit: param(100, { type: 'integer', minimum: 1 }) } });
    d.task('t', () => {});
    await expect(runDagRun(d, day('2021-02-05'), testEnv(), { conf: { limit: 0 } })).rejects.toThrow('DAG "bad_conf": param "limit" is 0, which is less than the minimum 1');
    expect(() => resolveParams({ mode: param('full', { enum: ['full', 'incremental'] }) }, { mode: 'delta' }, 'DAG "x"')).toThrow(
      'DAG "x": param "mode" is "delta", which is not one of ["full","incremental"]',
    );
    expect(() => resolveParams({ who: param(undefined, { type: 'string' }) }, {}, 'DAG "x"')).toThrow('param "who" has no default and no value was given');
  });

  it('validateDag reports bad defaults, unchecked schema keywords and required params on a scheduled DAG', () => {
    const d = dag('bad_params', { params: { limit: param('ten', { type: 'integer' }), who: param(undefined, { type: 'string' }), odd: param(1, { format: 'date' } as never) } });
    d.task('t', () => {}, { params: { n: param(-1, { minimum: 0 }) } });
    expect(validateDag(d).map((p) => p.message)).toEqual([
      'DAG "bad_params": param "limit" has default "ten", which is not of type integer',
      'DAG "bad_params": param "who" has no default, so the DAG cannot run on a schedule (as in Airflow); give it a default or make the schedule null',
      'DAG "bad_params": param "odd" uses schema keyword(s) "format" that dagbox does not check; use type, enum, minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, description, title',
      'DAG "bad_params": task "t": param "n" has default -1, which is less than the minimum 0',
    ]);
    const manual = dag('manual_params', { schedule: null, params: { who: param(undefined, { type: 'string' }) } });
    manual.task('t', () => {});
    expect(validateDag(manual)).toEqual([]);
  });
});

describe('manual runs: logical date apart from the data interval, prev_ds', () => {
  it("a manual run at DATE has ds = DATE and the interval ending at DATE, as Airflow's dags test", async () => {
    const spec = { schedule: '@daily', startDate: parseDate('2021-02-05', 'UTC'), timezone: 'UTC', catchup: true };
    const at = new Date('2021-02-05T00:00:00Z');
    const ctx = await contextOf((d, seen) => d.task('t', (c) => seen(c)), { logicalDate: at, interval: manualInterval(spec, at) });
    expect(ctx.ds).toBe('2021-02-05');
    expect(ctx.logicalDate).toEqual(at);
    expect(ctx.dataIntervalStart).toEqual(new Date('2021-02-04T00:00:00Z'));
    expect(ctx.dataIntervalEnd).toEqual(at);
    expect(ctx.render('{{ ds }} {{ data_interval_start }} {{ prev_ds }} {{ next_ds }}')).toBe('2021-02-05 2021-02-04T00:00:00+00:00 2021-02-04 2021-02-05');
    expect(ctx.runId).toBe('manual__2021-02-05T00:00:00+00:00');
  });

  it('an externally triggered run has its own ds as prev_ds and next_ds, as in Airflow', async () => {
    const d = dag('triggered');
    let seen: TaskContext | undefined;
    d.task('t', (c) => void (seen = c));
    const at = new Date('2021-02-05T06:00:00Z');
    await runDagRun(d, { start: new Date('2021-02-04T00:00:00Z'), end: new Date('2021-02-05T00:00:00Z') }, testEnv(), { logicalDate: at, externalTrigger: true });
    expect([seen!.prevDs, seen!.nextDs, seen!.ds]).toEqual(['2021-02-05', '2021-02-05', '2021-02-05']);
  });

  it("the first scheduled interval's prev_ds is the schedule time before it, not null", async () => {
    const ctx = await contextOf((d, seen) => d.task('t', (c) => seen(c)));
    expect(ctx.prevDs).toBe('2021-02-04');
    expect(ctx.render('{{ prev_ds }}')).toBe('2021-02-04');
  });
});
