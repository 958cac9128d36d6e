import { describe, expect, it } from 'vitest';
import { Dag } from '../../src/dag/dag.ts';
import { validateDag } from '../../src/dag/validate.ts';
import { triggerDagRun } from '../../src/operators/trigger-dag-run.ts';
import { RunCoordinator, runDagRun, type DagRunResult } from '../../src/run/index.ts';
import { backfillIntervals, parseDate, scheduleError } from '../../src/schedule/index.ts';
import { day, op, testEnv } from './helpers.ts';

function producer(id: string, outputs: string[], fail = false): Dag {
  const d = new Dag({ id, schedule: '@daily', startDate: '2021-02-05' });
  d.task('load', () => {
    if (fail) throw new Error('load failed');
  }, { outputs });
  return d;
}

function consumer(id: string, datasets: string[], seen: { conf: unknown; ds: string; start: Date; end: Date; runType: string }[]): Dag {
  const d = new Dag({ id, schedule: datasets, startDate: '2021-02-05' });
  d.task('report', (ctx) => void seen.push({ conf: ctx.dagRun.conf, ds: ctx.ds, start: ctx.dataIntervalStart, end: ctx.dataIntervalEnd, runType: ctx.dagRun.runType }));
  return d;
}

describe('dataset-triggered DAGs', () => {
  it("run when a producer's task that outputs their dataset succeeds, over the producer's interval", async () => {
    const seen: Parameters<typeof consumer>[2] = [];
    const nps = producer('nps_load', ['raw_data.nps']);
    const report = consumer('nps_report', ['raw_data.nps'], seen);
    const env = testEnv();
    const ran: DagRunResult[] = [];
    const c = new RunCoordinator([nps, report], env, { onRun: (run) => ran.push(run) });
    const first = await runDagRun(nps, day('2021-02-05'), c.env(), { runType: 'backfill' });
    c.after(first);
    await c.drain();
    expect(ran.map((r) => [r.dagId, r.runType, r.state])).toEqual([['nps_report', 'dataset_triggered', 'success']]);
    expect(ran[0]!.runId).toBe(`dataset_triggered__${first.endedAt.toISOString().slice(0, 19)}+00:00`);
    expect(seen).toEqual([{ conf: {}, ds: first.endedAt.toISOString().slice(0, 10), start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z'), runType: 'dataset_triggered' }]);
  });

  it('a DAG on two datasets waits for both; a failed producer task updates nothing', async () => {
    const seen: Parameters<typeof consumer>[2] = [];
    const a = producer('load_a', ['raw_data.a']);
    const b = producer('load_b', ['raw_data.b']);
    const broken = producer('load_b_broken', ['raw_data.b'], true);
    const both = consumer('both', ['raw_data.a', 'raw_data.b'], seen);
    const c = new RunCoordinator([a, b, broken, both], testEnv());
    c.after(await runDagRun(a, day('2021-02-05'), c.env()));
    c.after(await runDagRun(broken, day('2021-02-06'), c.env()));
    expect(await c.drain()).toEqual([]);
    c.after(await runDagRun(b, day('2021-02-06'), c.env()));
    const runs = await c.drain();
    expect(runs.map((r) => r.dagId)).toEqual(['both']);
    expect(seen[0]).toMatchObject({ start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-07T00:00:00Z') });
  });

  it('a dataset schedule has no intervals: nothing is due and a backfill is refused', () => {
    expect(scheduleError(['raw_data.nps'], 'UTC')).toBeNull();
    expect(scheduleError([], 'UTC')).toMatch(/empty list of datasets/);
    const spec = { schedule: ['raw_data.nps'], startDate: parseDate('2021-02-05', 'UTC'), timezone: 'UTC', catchup: true };
    expect(() => backfillIntervals(spec, parseDate('2021-02-05', 'UTC'), parseDate('2021-02-07', 'UTC'))).toThrow(/schedule is triggered by datasets: it has no scheduled intervals/);
  });

  it('period schedules validate ("48h" used to be an invalid cron expression)', () => {
    expect(validateDag(new Dag({ id: 'every_two_days', schedule: '48h', startDate: '2021-02-05' }))).toEqual([]);
    expect(validateDag(new Dag({ id: 'every_two_hours', schedule: { every: '2h' }, startDate: '2021-02-05' }))).toEqual([]);
    expect(scheduleError({ every: '0s' }, 'UTC')).toMatch(/period of 0 ms; a period schedule must be at least one second/);
  });
});

describe('triggerDagRun (TriggerDagRunOperator)', () => {
  it('runs the target DAG after the current run, with the rendered conf as dag_run.conf', async () => {
    const seen: Parameters<typeof consumer>[2] = [];
    const target = new Dag({ id: 'report', schedule: null, startDate: '2021-02-05' });
    target.task('report', (ctx) => void seen.push({ conf: ctx.dagRun.conf, ds: ctx.ds, start: ctx.dataIntervalStart, end: ctx.dataIntervalEnd, runType: ctx.dagRun.runType }));
    const source = new Dag({ id: 'source', schedule: '@daily', startDate: '2021-02-05' });
    source.task('kick', op(triggerDagRun({ triggerDagId: 'report', conf: { day: '{{ ds }}' }, logicalDate: '{{ ds }}T06:00:00Z' })));
    const c = new RunCoordinator([source, target], testEnv());
    const run = await runDagRun(source, day('2021-02-05'), c.env());
    expect(run.state).toBe('success');
    expect(seen).toEqual([]); // not before the triggering run ended
    c.after(run);
    const follow = await c.drain();
    expect(follow.map((r) => [r.dagId, r.runType, r.runId])).toEqual([['report', 'manual', 'manual__2021-02-05T06:00:00+00:00']]);
    expect(seen[0]).toMatchObject({ conf: { day: '2021-02-05' }, ds: '2021-02-05', runType: 'manual' });
  });

  it('with waitForCompletion runs it at once and fails the task when the triggered run fails', async () => {
    const target = new Dag({ id: 'fails', schedule: null, startDate: '2021-02-05' });
    target.task('boom', () => {
      throw new Error('nope');
    });
    const source = new Dag({ id: 'waits', schedule: '@daily', startDate: '2021-02-05' });
    source.task('kick', op(triggerDagRun({ triggerDagId: 'fails', waitForCompletion: true })));
    const c = new RunCoordinator([source, target], testEnv());
    const run = await runDagRun(source, day('2021-02-05'), c.env());
    expect(run.state).toBe('failed');
    expect(run.tasks[0]!.error).toMatch(/waits\.kick triggered DAG "fails" \(run manual__.*\), which ended failed/);
  });

  it('outside a coordinator, or to an unknown DAG, fails with a sentence saying why', async () => {
    const source = new Dag({ id: 'lonely', schedule: '@daily', startDate: '2021-02-05' });
    source.task('kick', op(triggerDagRun({ triggerDagId: 'report' })));
    const alone = await runDagRun(source, day('2021-02-05'), testEnv());
    expect(alone.tasks[0]!.error).toMatch(/lonely\.kick triggers DAG "report", but this run cannot start other DAGs/);
    const c = new RunCoordinator([source], testEnv());
    const unknown = await runDagRun(source, day('2021-02-05'), c.env());
    c.after(unknown);
    expect(unknown.tasks[0]!.error).toMatch(/triggers DAG "report", which is not loaded/);
  });
});
