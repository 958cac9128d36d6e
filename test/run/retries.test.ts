import { describe, expect, it } from 'vitest';
import type { TaskContext } from '../../src/dag/types.ts';
import { runDagRun, runIntervals, TaskTimeoutError } from '../../src/run/index.ts';
import { dag, day, days, states, testEnv } from './helpers.ts';

describe('retries', () => {
  it('retries a failing task after retryDelay on the virtual clock, and succeeds', async () => {
    const env = testEnv();
    const started = env.clock.now().getTime();
    const tries: number[] = [];
    const d = dag();
    d.task('flaky', (ctx) => {
      tries.push(ctx.tryNumber);
      if (ctx.tryNumber < 3) throw new Error(`try ${ctx.tryNumber} failed`);
      return 'ok';
    }, { retries: 3, retryDelay: '1h' });
    const run = await runDagRun(d, day('2021-02-05'), env);
    expect(tries).toEqual([1, 2, 3]);
    expect(run.state).toBe('success');
    expect(run.tasks[0]).toMatchObject({ state: 'success', tryNumber: 3 });
    expect(run.tasks[0]!.error).toBeUndefined();
    expect(env.clock.now().getTime() - started).toBe(2 * 3_600_000);
    const transitions = env.events.flatMap((e) => (e.type === 'task-state' ? [`${e.state}#${e.tryNumber}`] : []));
    expect(transitions).toEqual([
      'scheduled#0', 'queued#1', 'running#1', 'up_for_retry#1', 'queued#2', 'running#2', 'up_for_retry#2', 'queued#3', 'running#3', 'success#3',
    ]);
  });

  it('fails after the last retry with the last error', async () => {
    const d = dag();
    d.task('bad', (ctx) => {
      throw new Error(`nope ${ctx.tryNumber}`);
    }, { retries: 2, retryDelay: 0 });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.tasks[0]).toMatchObject({ state: 'failed', tryNumber: 3, error: 'nope 3' });
    expect(run.tasks[0]!.log.filter((l) => l.includes('ERROR - Try'))).toHaveLength(3);
  });

  it('a backfill of 30 days with retryDelay 1h finishes at once and moves the clock by 30h', async () => {
    const env = testEnv();
    const started = env.clock.now().getTime();
    const d = dag('backfill', { defaultArgs: { retries: 1, retryDelay: '1h' } });
    d.task('flaky', (ctx) => {
      if (ctx.tryNumber === 1) throw new Error('first try always fails');
    });
    // Were the 30 one-hour delays waited in real time, the test's timeout would end it long before.
    const runs = await runIntervals(d, days('2021-02-05', 30), env);
    expect(runs.every((r) => r.state === 'success')).toBe(true);
    expect(env.clock.now().getTime() - started).toBe(30 * 3_600_000);
  });

  it('defaults retryDelay to 5 minutes, as Airflow', async () => {
    const env = testEnv();
    const started = env.clock.now().getTime();
    const d = dag();
    d.task('flaky', (ctx) => {
      if (ctx.tryNumber === 1) throw new Error('x');
    }, { retries: 1 });
    await runDagRun(d, day('2021-02-05'), env);
    expect(env.clock.now().getTime() - started).toBe(5 * 60_000);
  });

  it('refuses an invalid retryDelay with a sentence naming the task', async () => {
    const d = dag();
    d.task('t', () => {}, { retryDelay: 'soon' });
    await expect(runDagRun(d, day('2021-02-05'), testEnv())).rejects.toThrow(/task "t" of DAG "test_dag" has an invalid retryDelay: expected a duration/);
  });
});

describe('callbacks', () => {
  it('calls onRetry and onFailure with the context and the error, onSuccess with the context', async () => {
    const calls: [string, string, number, unknown][] = [];
    const record = (name: string) => (ctx: TaskContext, error?: unknown) => {
      calls.push([name, ctx.taskId, ctx.tryNumber, error instanceof Error ? error.message : error]);
    };
    const d = dag('cb', { defaultArgs: { onRetry: record('retry'), onFailure: record('failure'), onSuccess: record('success'), retryDelay: 0 } });
    d.task('bad', () => {
      throw new Error('boom');
    }, { retries: 1 });
    d.task('good', () => {});
    await runDagRun(d, day('2021-02-05'), testEnv());
    expect(calls).toContainEqual(['retry', 'bad', 1, 'boom']);
    expect(calls).toContainEqual(['failure', 'bad', 2, 'boom']);
    expect(calls).toContainEqual(['success', 'good', 1, undefined]);
    expect(calls).toHaveLength(3);
  });

  it('logs a throwing callback and keeps the task state and the run going', async () => {
    const d = dag();
    const a = d.task('a', () => {}, {
      onSuccess: () => {
        throw new Error('slack is down');
      },
    });
    d.task('b', () => {}).after(a);
    const c = d.task('c', () => {
      throw new Error('x');
    }, { onFailure: async () => Promise.reject(new Error('pager is down')) });
    void c;
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ a: 'success', b: 'success', c: 'failed' });
    expect(run.tasks[0]!.log.join('\n')).toMatch(/ERROR - onSuccess callback failed \(the task's state stands\): Error: slack is down/);
    expect(run.tasks[2]!.log.join('\n')).toMatch(/onFailure callback failed.*pager is down/);
  });
});

describe('executionTimeout', () => {
  it('fails a task that ignores its signal, in real time, with "timed out after"', async () => {
    const d = dag();
    d.task('hang', () => new Promise(() => {}), { executionTimeout: 50 });
    // The task never settles: only the timeout can end it (else the test's own timeout fails it).
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(run.tasks[0]!.state).toBe('failed');
    expect(run.tasks[0]!.error).toMatch(/task "hang" timed out after 0.05s/);
  });

  it('aborts ctx.signal with the timeout error, and retries a timed-out task', async () => {
    const reasons: unknown[] = [];
    const d = dag();
    d.task('slow', (ctx) => {
      if (ctx.tryNumber === 2) return 'fast enough';
      return new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => {
          reasons.push(ctx.signal.reason);
          reject(ctx.signal.reason);
        });
      });
    }, { executionTimeout: '20ms', retries: 1, retryDelay: 0 });
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(reasons[0]).toBeInstanceOf(TaskTimeoutError);
    expect(run.tasks[0]).toMatchObject({ state: 'success', tryNumber: 2 });
  });
});
