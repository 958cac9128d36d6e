import { describe, expect, it } from 'vitest';
import { runDagRun } from '../../src/run/index.ts';
import { op } from './helpers.ts';
import { dag, day, testEnv } from './helpers.ts';

const key = (t: { taskId: string; mapIndex?: number }) => (t.mapIndex !== undefined ? `${t.taskId}[${t.mapIndex}]` : t.taskId);
const statesOf = (run: { tasks: { taskId: string; mapIndex?: number; state: string }[] }) => Object.fromEntries(run.tasks.map((t) => [key(t), t.state]));

describe('TaskFlow wiring', () => {
  it('passes outputs as inputs: the edge and the XCom pull at once, with multipleOutputs keys', async () => {
    const d = dag();
    const extract = d.task('extract', () => ({ orders: [3, 4], currency: 'KRW' }), { multipleOutputs: true });
    const total = d.task('total', (_ctx, { orders }: { orders: number[] }) => orders.reduce((a, b) => a + b, 0)).with({ orders: extract.output.key('orders') });
    let seen: unknown;
    d.task('report', (_ctx, input: { sum: number; currency: string; all: { currency: string } }) => void (seen = input)).with({
      sum: total.output,
      currency: extract.output.key('currency'),
      all: extract.output,
    });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.state).toBe('success');
    expect(seen).toEqual({ sum: 7, currency: 'KRW', all: { orders: [3, 4], currency: 'KRW' } });
    expect([...d.tasks.get('report')!.upstream].sort()).toEqual(['extract', 'total']);
  });

  it('fails a task whose input points at an XCom that was never pushed', async () => {
    const d = dag();
    const nothing = d.task('nothing', () => undefined);
    d.task('use', (_ctx, { v }: { v: number }) => v).with({ v: nothing.output as never });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.tasks[1]!.error).toBe('input "v" of task "use" is the XCom "return_value" of task "nothing", which pushed none (it returned undefined)');
  });
});

describe('dynamic task mapping', () => {
  it('maps over an upstream output at run time, retries per map index, and reduces in map index order', async () => {
    const d = dag();
    const files = d.task('list_files', () => ['a.csv', 'bb.csv', 'ccc.csv']);
    const tries = new Map<number, number>();
    const size = d.task('size', (ctx, { name }: { name: string }) => {
      tries.set(ctx.mapIndex, (tries.get(ctx.mapIndex) ?? 0) + 1);
      if (ctx.mapIndex === 1 && ctx.tryNumber === 1) throw new Error('flaky');
      return name.length;
    }, { retries: 1, retryDelay: '1m' }).expand({ name: files.output });
    let sizes: unknown;
    d.task('sum', (_ctx, { sizes: s }: { sizes: number[] }) => void (sizes = s)).with({ sizes: size.output });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(statesOf(run)).toEqual({ list_files: 'success', 'size[0]': 'success', 'size[1]': 'success', 'size[2]': 'success', sum: 'success' });
    expect(Object.fromEntries(tries)).toEqual({ 0: 1, 1: 2, 2: 1 });
    expect(run.tasks.find((t) => key(t) === 'size[1]')!.tryNumber).toBe(2);
    expect(sizes).toEqual([5, 6, 7]);
  });

  it('maps an operator over its arguments with partial, and bounds instances with maxActiveTisPerDag', async () => {
    const d = dag();
    let now = 0;
    let max = 0;
    const echo = op({
      kind: 'echo',
      args: { prefix: '', value: '' },
      templateFields: ['prefix', 'value'],
      execute: async (_ctx, a: { prefix: string; value: string }) => {
        max = Math.max(max, ++now);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        now--;
        return `${a.prefix}${a.value}`;
      },
    });
    const t = d.task('echo', echo, { maxActiveTisPerDag: 2 }).partial({ prefix: '{{ ds }}:' }).expand({ value: ['a', 'b', 'c', 'd'] });
    let out: unknown;
    d.task('collect', (_ctx, { v }: { v: string[] }) => void (out = v)).with({ v: t.output });
    await runDagRun(d, day('2021-02-05'), testEnv());
    expect(out).toEqual(['2021-02-05:a', '2021-02-05:b', '2021-02-05:c', '2021-02-05:d']);
    expect(max).toBe(2);
  });

  it('fails the upstream task when what it returns cannot be mapped over', async () => {
    const d = dag();
    const n = d.task('count', () => 3);
    d.task('each', (_ctx, { x }: { x: number }) => x).expand({ x: n.output as never });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(statesOf(run)).toEqual({ count: 'failed', 'each[-1]': 'upstream_failed' });
    expect(run.tasks[0]!.error).toContain('feeds a mapped task (.expand), so it must return a list or an object, but returned number 3');
  });
});
