import { describe, expect, it } from 'vitest';
import { runDagRun, testTask } from '../../src/run/index.ts';
import { dag, day, testEnv } from './helpers.ts';

describe('XCom', () => {
  it('pushes return values as return_value and pulls them by id, by key and as a list', async () => {
    const d = dag();
    const g = d.group('extract');
    const a = g.task('a', () => ({ rows: 3 }));
    const b = g.task('b', (ctx) => {
      ctx.xcom.push('path', 's3://bucket/b.csv');
      return 7;
    });
    const none = d.task('none', () => undefined);
    let pulled: unknown[] = [];
    d.task('load', (ctx) => {
      pulled = [
        ctx.xcom.pull('extract.a'),
        ctx.xcom.pull('extract.b', 'path'),
        ctx.xcom.pull(['extract.a', 'extract.b', 'none']),
        ctx.xcom.pull('extract.b', 'missing_key'),
      ];
    }).after(a, b, none);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.state).toBe('success');
    expect(pulled).toEqual([{ rows: 3 }, 's3://bucket/b.csv', [{ rows: 3 }, 7, undefined], undefined]);
  });

  it('gives undefined for a task of the DAG that has not run, and an error naming a typo', async () => {
    const d = dag();
    d.task('extract', () => 1);
    const seen: unknown[] = [];
    d.task('load', (ctx) => {
      seen.push(ctx.xcom.pull('extract'));
      ctx.xcom.pull('extarct');
    });
    const result = await testTask(d, 'load', day('2021-02-05'), testEnv());
    expect(seen).toEqual([undefined]);
    expect(result.state).toBe('failed');
    expect(result.error).toMatch(/task "extarct" is not in DAG "test_dag" \(did you mean "extract"\?\)/);
  });

  it('keeps XComs per DAG run', async () => {
    const d = dag();
    d.task('first', (ctx) => {
      expect(ctx.xcom.pull('first')).toBeUndefined();
      return ctx.ds;
    });
    const env = testEnv();
    await runDagRun(d, day('2021-02-05'), env);
    const run = await runDagRun(d, day('2021-02-06'), env);
    expect(run.state).toBe('success');
  });
});
