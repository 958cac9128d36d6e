import { describe, expect, it } from 'vitest';
import { dateTimeSensor, sensor, timeDeltaSensor } from '../../src/operators/sensors.ts';
import { runDagRun } from '../../src/run/index.ts';
import { dag, day, op, states, testEnv } from './helpers.ts';

describe('sensors on the virtual clock', () => {
  it('waits a simulated hour in poke intervals and logs the simulated waits', async () => {
    const d = dag();
    d.task('wait_an_hour', op(timeDeltaSensor({ delta: '1h', pokeInterval: '10m' })));
    const env = testEnv();
    const run = await runDagRun(d, day('2021-02-05'), env); // the clock starts at the interval's end
    expect(states(run)).toEqual({ wait_an_hour: 'success' });
    expect(env.clock.now().toISOString()).toBe('2021-02-06T01:10:00.000Z');
    const log = run.tasks[0]!.log.join('\n');
    expect(log).toContain("Poke 1: not yet; sleeping 10m until 2021-02-06T00:10:00.000Z (on the run's clock)");
    expect(log).toContain('Poked 8 times over 1h10m of simulated time');
  });

  it('times out without retries, or is skipped with softFail', async () => {
    const never = (softFail: boolean) => op(sensor('never', { timeout: '1h', pokeInterval: '30m', softFail }, [], () => false));
    const d = dag();
    d.task('hard', never(false), { retries: 2 });
    d.task('soft', never(true));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ hard: 'failed', soft: 'skipped' });
    expect(run.tasks[0]!.tryNumber).toBe(1);
    expect(run.tasks[0]!.error).toBe('Sensor has timed out; run duration of 5400 seconds exceeds the specified timeout of 3600.');
  });

  it('lets time pass only while the other running tasks wait: a sensor sees a file a slow sibling writes', async () => {
    const d = dag();
    let written = false;
    d.task('writer', async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      written = true;
    });
    d.task('wait_for_file', op(sensor('file', { timeout: '5m', pokeInterval: '1m' }, [], () => written)));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    expect(states(run)).toEqual({ writer: 'success', wait_for_file: 'success' });
  });

  it('shows reschedule mode as up_for_reschedule between pokes, and templates dateTimeSensor', async () => {
    const d = dag();
    d.task('until', op(dateTimeSensor({ targetTime: '{{ data_interval_end }}', mode: 'reschedule', pokeInterval: '5m' })));
    const env = testEnv();
    const run = await runDagRun(d, day('2021-02-05'), env);
    expect(states(run)).toEqual({ until: 'success' });
    const seen = env.events.filter((e) => e.type === 'task-state').map((e) => (e as { state: string }).state);
    expect(seen).toEqual(['scheduled', 'queued', 'running', 'up_for_reschedule', 'running', 'success']);
  });

  it('backs off exponentially with Airflow\'s formula', async () => {
    const d = dag();
    let pokes = 0;
    d.task('backoff', op(sensor('b', { pokeInterval: '60s', exponentialBackoff: true, timeout: '1d' }, [], () => ++pokes >= 4)));
    const run = await runDagRun(d, day('2021-02-05'), testEnv());
    const waits = run.tasks[0]!.log.filter((l) => l.includes('new poke interval is')).map((l) => Number(l.split('is ')[1]));
    expect(waits).toHaveLength(3);
    // min_backoff = 60 * 2^(n-2): 30, 60, 120; the hash part adds less than min_backoff.
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(30 * 2 ** i);
      expect(w).toBeLessThan(60 * 2 ** i);
    });
  });
});

describe('externalTaskSensor', () => {
  it('waits for another DAG\'s task of the same logical date in the run history', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { RunStore } = await import('../../src/run/index.ts');
    const { externalTaskSensor } = await import('../../src/operators/sensors.ts');
    const dir = mkdtempSync(join(tmpdir(), 'dagbox-ext-'));
    try {
      const store = await RunStore.open(dir);
      const upstream = dag('upstream_dag');
      upstream.task('load', () => {});
      await runDagRun(upstream, day('2021-02-05'), testEnv({ store }));
      const d = dag('downstream_dag');
      d.task('wait', op(externalTaskSensor({ externalDagId: 'upstream_dag', externalTaskId: 'load', timeout: '1h', softFail: true })));
      const found = await runDagRun(d, day('2021-02-05'), testEnv({ store }));
      expect(states(found)).toEqual({ wait: 'success' });
      const missing = await runDagRun(d, day('2021-02-06'), testEnv({ store }));
      expect(states(missing)).toEqual({ wait: 'skipped' });
      expect(missing.tasks[0]!.log.join('\n')).toContain('Poking for upstream_dag.load on 2021-02-06T00:00:00.000Z ... no run yet');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
