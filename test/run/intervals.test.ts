import { describe, expect, it } from 'vitest';
import { runDagRun, runIntervals } from '../../src/run/index.ts';
import type { DagRunResult } from '../../src/run/index.ts';
import { concurrency, dag, day, days, states, testEnv } from './helpers.ts';

describe('runIntervals', () => {
  it('runs intervals one at a time by default (maxActiveRuns 1) and reports progress', async () => {
    const c = concurrency();
    const d = dag();
    d.task('t', () => c.around(() => {}));
    const progress: string[] = [];
    const runs = await runIntervals(d, days('2021-02-05', 5), testEnv(), {
      onProgress: (done, total, run) => progress.push(`${done}/${total} ${run.runId}`),
    });
    expect(c.max).toBe(1);
    expect(runs.map((r) => r.runId)).toEqual(days('2021-02-05', 5).map((i) => `backfill__${i.start.toISOString().slice(0, 19)}+00:00`));
    expect(progress[4]).toBe('5/5 backfill__2021-02-09T00:00:00+00:00');
  });

  it('runs up to maxActiveRuns at once, from the option or the DAG', async () => {
    for (const [opt, dagMax, expected] of [[3, undefined, 3], [undefined, 2, 2]] as const) {
      const c = concurrency();
      const d = dag('mar', dagMax ? { maxActiveRuns: dagMax } : {});
      d.task('t', () => c.around(() => {}));
      const runs = await runIntervals(d, days('2021-02-05', 8), testEnv(), opt ? { maxActiveRuns: opt } : {});
      expect(runs).toHaveLength(8);
      expect(c.max).toBe(expected);
    }
  });

  it('uses the run type for run ids', async () => {
    const d = dag();
    d.task('t', () => {});
    const [run] = await runIntervals(d, [day('2021-02-05')], testEnv(), { runType: 'scheduled' });
    expect(run!.runId).toBe('scheduled__2021-02-05T00:00:00+00:00');
  });
});

describe('dependsOnPast', () => {
  function flakyDag(failOn: string) {
    const d = dag('dop', { maxActiveRuns: 4 });
    const load = d.task('load', (ctx) => {
      if (ctx.ds === failOn) throw new Error(`bad data on ${ctx.ds}`);
    }, { dependsOnPast: true });
    d.task('report', () => {}).after(load);
    d.task('independent', () => {});
    return d;
  }

  it('runs a task only when it succeeded in the previous run; the first run runs', async () => {
    const runs = await runIntervals(flakyDag('2021-02-06'), days('2021-02-05', 3), testEnv());
    expect(runs.map((r) => states(r))).toEqual([
      { load: 'success', report: 'success', independent: 'success' },
      { load: 'failed', report: 'upstream_failed', independent: 'success' },
      { load: 'none', report: 'none', independent: 'success' },
    ]);
    expect(runs[2]!.state).toBe('failed');
    expect(runs[2]!.tasks[0]!.error).toMatch(/dependsOnPast: task "load" ended failed in the previous run backfill__2021-02-06/);
    expect(runs[2]!.error).toMatch(/never ran: "load" \(dependsOnPast/);
  });

  it('counts a skipped task in the previous run as done, and uses opts.previous for a single run', async () => {
    const d = flakyDag('never');
    const previous = { runId: 'x', tasks: [{ taskId: 'load', state: 'skipped' }] } as unknown as DagRunResult;
    const run = await runDagRun(d, day('2021-02-05'), testEnv(), { previous });
    expect(states(run).load).toBe('success');
    const blocked = await runDagRun(d, day('2021-02-05'), testEnv(), { previous: { ...previous, tasks: [{ taskId: 'load', state: 'upstream_failed' }] } as unknown as DagRunResult });
    expect(states(blocked).load).toBe('none');
  });

  it('refuses to run dependsOnPast intervals newest first', async () => {
    await expect(runIntervals(flakyDag('x'), days('2021-02-05', 3).reverse(), testEnv())).rejects.toThrow(/must run oldest first/);
  });
});
