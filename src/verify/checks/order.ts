import type { DataInterval } from '../../dag/types.ts';
import type { DagRunResult } from '../../run/index.ts';
import type { Snapshot } from '../../snapshot/index.ts';
import type { VerifyContext } from '../context.ts';
import type { KeptState } from '../keeper.ts';
import type { DagRunner } from '../runner.ts';
import { describeChanges, noChanges } from '../state.ts';
import type { CheckFailure, StateFingerprint } from '../types.ts';

/** The order check 2 runs the window in. */
export interface OrderSpec {
  /** `backwards` (default) or `shuffle` (with `seed`). */
  readonly order: 'backwards' | 'shuffle';
  readonly seed: number;
  /** Runs at once (Airflow's max_active_runs); >1 runs the window concurrently. */
  readonly maxActiveRuns: number;
}

/** The outcome of check 2. */
export interface OrderOutcome {
  readonly failure: CheckFailure | null;
  readonly broken: DagRunResult | null;
  readonly description: string;
}

/**
 * Check 2 (backfill order safety): restore the fixtures, run the window in another order
 * (backwards, shuffled, or with several runs at once) and compare with the state the window left
 * in date order (`inOrder`, whose changed tables are `kept` and survive the restore).
 */
export async function orderCheck(
  ctx: VerifyContext,
  fixtures: Snapshot | null,
  intervals: readonly DataInterval[],
  inOrder: StateFingerprint,
  kept: KeptState,
  spec: OrderSpec,
): Promise<OrderOutcome> {
  const ordered = spec.order === 'shuffle' ? shuffle(intervals, spec.seed) : [...intervals].reverse();
  const description =
    (spec.order === 'shuffle' ? `shuffled (seed ${spec.seed})` : 'backwards') + (spec.maxActiveRuns > 1 ? `, ${spec.maxActiveRuns} runs at once` : '');
  await ctx.restore(fixtures, [kept]);
  let broken: DagRunResult | null = null;
  if (spec.maxActiveRuns > 1 && 'runMany' in ctx.runner) {
    const runs = await (ctx.runner as DagRunner).runMany(ordered, spec.maxActiveRuns);
    ctx.record(`window ${description}`, runs);
    broken = runs.find((r) => ctx.verdict(r) === 'broken') ?? null;
  } else {
    for (const interval of ordered) {
      const run = await ctx.run(`window ${description}`, interval);
      if (ctx.verdict(run) === 'broken') {
        broken = run;
        break;
      }
    }
  }
  if (broken) return { failure: null, broken, description };
  const changes = ctx.compare(inOrder, await ctx.capture());
  if (noChanges(changes)) return { failure: null, broken: null, description };
  const diff = await ctx.engine.diff(changes, kept, { before: 'window in date order', after: `window ${description}` });
  return { failure: { message: `running the window ${description} left other tables than in date order: ${describeChanges(changes)}`, diff }, broken: null, description };
}

/** A seeded Fisher-Yates shuffle (mulberry32), so a printed seed replays the same order. */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
