import { describe, expect, it } from 'vitest';
import type { TriggerRule } from '../../src/dag/types.ts';
import { evaluateTriggerRule, runDagRun } from '../../src/run/index.ts';
import { dag, day, states, testEnv } from './helpers.ts';

/** Outcome of a task with trigger rule `rule` whose two upstream tasks end as given. */
async function outcome(rule: TriggerRule, up: ['ok' | 'fail' | 'skip', 'ok' | 'fail' | 'skip']): Promise<string> {
  const d = dag();
  const upstream = up.map((kind, i) => {
    if (kind === 'skip') {
      // A task is skipped when its all_success upstream was skipped; seed that with a one_failed root.
      const seed = d.task(`seed${i}`, () => {});
      return d.task(`u${i}`, () => {}, { triggerRule: 'one_failed' }).after(seed);
    }
    return d.task(`u${i}`, () => {
      if (kind === 'fail') throw new Error('boom');
    });
  });
  d.task('target', () => {}, { triggerRule: rule }).after(upstream);
  const run = await runDagRun(d, day('2021-02-05'), testEnv());
  return states(run).target!;
}

describe('trigger rules, end to end', () => {
  const cases: [TriggerRule, ['ok' | 'fail' | 'skip', 'ok' | 'fail' | 'skip'], string][] = [
    ['all_success', ['ok', 'ok'], 'success'],
    ['all_success', ['ok', 'fail'], 'upstream_failed'],
    ['all_success', ['ok', 'skip'], 'skipped'],
    ['all_done', ['ok', 'fail'], 'success'],
    ['all_done', ['skip', 'fail'], 'success'],
    ['one_failed', ['ok', 'fail'], 'success'],
    ['one_failed', ['ok', 'ok'], 'skipped'],
    ['one_failed', ['ok', 'skip'], 'skipped'],
    ['none_failed', ['ok', 'skip'], 'success'],
    ['none_failed', ['skip', 'skip'], 'success'],
    ['none_failed', ['ok', 'fail'], 'upstream_failed'],
  ];
  for (const [rule, up, expected] of cases) {
    it(`${rule} with upstream ${up.join(' + ')} -> ${expected}`, async () => {
      expect(await outcome(rule, up)).toBe(expected);
    });
  }
});

describe('evaluateTriggerRule decides as soon as the outcome is certain', () => {
  const tally = (t: Partial<{ success: number; skipped: number; failed: number; upstreamFailed: number }>) => {
    const full = { success: 0, skipped: 0, failed: 0, upstreamFailed: 0, ...t };
    return { ...full, done: full.success + full.skipped + full.failed + full.upstreamFailed };
  };
  it('all_success and none_failed flag upstream_failed before the other upstream tasks end', () => {
    expect(evaluateTriggerRule('all_success', tally({ failed: 1 }), 3)).toBe('upstream_failed');
    expect(evaluateTriggerRule('none_failed', tally({ upstreamFailed: 1 }), 3)).toBe('upstream_failed');
  });
  it('all_success skips as soon as one upstream is skipped', () => {
    expect(evaluateTriggerRule('all_success', tally({ skipped: 1 }), 3)).toBe('skipped');
  });
  it('one_failed runs at the first failure, and waits while none failed yet', () => {
    expect(evaluateTriggerRule('one_failed', tally({ failed: 1 }), 3)).toBe('run');
    expect(evaluateTriggerRule('one_failed', tally({ success: 2 }), 3)).toBe('wait');
  });
  it('all_done waits for every upstream', () => {
    expect(evaluateTriggerRule('all_done', tally({ failed: 2 }), 3)).toBe('wait');
  });
  it('a task without upstream runs, whatever its rule', () => {
    for (const rule of ['all_success', 'all_done', 'one_failed', 'none_failed'] as const) {
      expect(evaluateTriggerRule(rule, tally({}), 0)).toBe('run');
    }
  });
});

describe('upstream_failed propagation and run state', () => {
  it('propagates upstream_failed down a chain, runs independent branches, and fails the run', async () => {
    const d = dag();
    const a = d.task('a', () => {
      throw new Error('broken source');
    });
    const b = d.task('b', () => {});
    const c = d.task('c', () => {});
    const other = d.task('other', () => {});
    a.to(b).to(c);
    void other;
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ a: 'failed', b: 'upstream_failed', c: 'upstream_failed', other: 'success' });
    expect(run.state).toBe('failed');
    expect(run.error).toBe('task "a" failed: broken source');
  });

  it('succeeds when a failure is absorbed by an all_done leaf (Airflow judges leaves)', async () => {
    const d = dag();
    const a = d.task('a', () => {
      throw new Error('x');
    });
    d.task('cleanup', () => {}, { triggerRule: 'all_done' }).after(a);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ a: 'failed', cleanup: 'success' });
    expect(run.state).toBe('success');
  });

  it('runs a one_failed alert task while a slow sibling is still running', async () => {
    const d = dag();
    const order: string[] = [];
    let release!: () => void;
    const slow = d.task('slow', () => new Promise<void>((r) => (release = r)).then(() => void order.push('slow')));
    const bad = d.task('bad', () => {
      throw new Error('x');
    });
    d.task('alert', () => {
      order.push('alert');
      release();
    }, { triggerRule: 'one_failed' }).after(slow, bad);
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(order).toEqual(['alert', 'slow']);
    expect(states(run).alert).toBe('success');
  });

  it('does not overflow the stack propagating upstream_failed down a chain of 20,000 tasks', async () => {
    const d = dag();
    const tasks = [d.task('t0', () => {
      throw new Error('x');
    })];
    for (let i = 1; i < 20_000; i++) tasks.push(d.task(`t${i}`, () => {}));
    for (let i = 1; i < tasks.length; i++) tasks[i - 1]!.to(tasks[i]!);
    const run = await runDagRun(d, day('2021-02-05'), testEnv({ onEvent: undefined }));
    expect(run.tasks.at(-1)!.state).toBe('upstream_failed');
  });
});
