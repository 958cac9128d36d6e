import { describe, expect, it } from 'vitest';
import { runDagRun } from '../../src/run/index.ts';
import { decidesByTime, wallClockFinding, WALL_CLOCK_SHIFT_MS, withWallClockShifted } from '../../src/verify/wall-clock.ts';
import { dag, day, testEnv } from '../run/helpers.ts';

function branchy(decide: (ds: string, nowMs: number) => string) {
  const d = dag('branchy');
  d.branch('pick', (ctx) => decide(ctx.ds, ctx.now().getTime())).to([d.task('weekday', () => {}), d.task('weekend', () => {})]);
  return d;
}

describe('a branch that reads the wall clock fails verification with a hint', () => {
  it('finds a branch deciding by new Date(), and names the branch and the tasks that changed', async () => {
    // Counted in steps of the shift, the moved wall clock is always one step further: the parity flips.
    const d = branchy(() => (Math.floor(new Date().getTime() / WALL_CLOCK_SHIFT_MS) % 2 === 0 ? 'weekend' : 'weekday'));
    expect(decidesByTime(d)).toBe(true);
    const first = await runDagRun(d, day('2021-02-05'), testEnv());
    const moved = await withWallClockShifted(WALL_CLOCK_SHIFT_MS, () => runDagRun(d, day('2021-02-05'), testEnv()));
    const finding = wallClockFinding(d, day('2021-02-05'), first, moved);
    expect(finding?.message).toMatch(/^re-running \S+ with the wall clock moved 400 days changed which tasks ran \(weekday (success → skipped|skipped → success), weekend/);
    expect(finding?.message).toContain('branch "pick" decides by the machine\'s clock, not by the interval');
    expect(finding?.message).toContain('hint: decide from ctx.ds');
  });

  it('finds Date.now() always, and passes branches on ds or on the run clock', async () => {
    const wall = branchy(() => (Date.now() > Date.UTC(2027, 6, 1) ? 'weekend' : 'weekday'));
    const first = await runDagRun(wall, day('2021-02-05'), testEnv());
    const moved = await withWallClockShifted(WALL_CLOCK_SHIFT_MS, () => runDagRun(wall, day('2021-02-05'), testEnv()));
    expect(wallClockFinding(wall, day('2021-02-05'), first, moved)).not.toBeNull();

    for (const good of [branchy((ds) => (ds.endsWith('5') ? 'weekday' : 'weekend')), branchy((_ds, now) => (now > Date.UTC(2021, 1, 5) ? 'weekday' : 'weekend'))]) {
      const a = await runDagRun(good, day('2021-02-05'), testEnv());
      const b = await withWallClockShifted(WALL_CLOCK_SHIFT_MS, () => runDagRun(good, day('2021-02-05'), testEnv()));
      expect(wallClockFinding(good, day('2021-02-05'), a, b)).toBeNull();
    }
  });

  it('restores the real Date afterwards, even when the run throws', async () => {
    const Real = Date;
    await expect(withWallClockShifted(1000, async () => {
      expect(Date.now() - Real.now()).toBeGreaterThanOrEqual(999);
      expect(new Date() instanceof Real).toBe(true);
      expect(new Date('2021-02-05T00:00:00Z').toISOString()).toBe('2021-02-05T00:00:00.000Z');
      throw new Error('x');
    })).rejects.toThrow('x');
    expect(Date).toBe(Real);
    // Overlapping calls restore the real Date once the last one ends.
    let release!: () => void;
    const first = withWallClockShifted(1000, () => new Promise<void>((r) => (release = r)));
    await withWallClockShifted(1000, async () => {});
    expect(Date).not.toBe(Real);
    release();
    await first;
    expect(Date).toBe(Real);
  });
});

describe('the probe verification puts on the task context', () => {
  it('moves the wall clock only inside decisions: a branch body and a custom sensor poke', async () => {
    const { WALL_CLOCK_PROBE } = await import('../../src/verify/wall-clock.ts');
    const { sensor } = await import('../../src/operators/sensors.ts');
    const seen: Record<string, number> = {};
    const d = dag('probe');
    d.branch('pick', () => {
      seen.branch = Date.now();
      return 'a';
    }).to(d.task('a', () => void (seen.plain = Date.now())));
    d.task('poke', sensor('custom', {}, [], () => {
      seen.poke = Date.now();
      return true;
    }) as never);
    const probe = { [WALL_CLOCK_PROBE]: <T>(fn: () => T | Promise<T>) => withWallClockShifted(WALL_CLOCK_SHIFT_MS, async () => fn()) };
    const before = Date.now();
    await runDagRun(d, day('2021-02-05'), testEnv({ hooks: () => probe, maxActiveTasks: 1 }));
    expect(seen.branch! - before).toBeGreaterThanOrEqual(WALL_CLOCK_SHIFT_MS);
    expect(seen.poke! - before).toBeGreaterThanOrEqual(WALL_CLOCK_SHIFT_MS);
    expect(seen.plain! - before).toBeLessThan(WALL_CLOCK_SHIFT_MS);
  });
});
