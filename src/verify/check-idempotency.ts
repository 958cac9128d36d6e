import type { Dag } from '../dag/dag.ts';
import { isDag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import type { DagRunResult, RunEnvironment } from '../run/index.ts';
import { idempotencySummary, rerunAndCompare } from './checks/idempotency.ts';
import { VerifyContext, type VerifySession } from './context.ts';
import { intervalLabel } from './labels.ts';
import { dagRunner, type IntervalRunner } from './runner.ts';
import { TableSettings } from './settings.ts';
import type { CheckResult, VerifySettings } from './types.ts';
import { result } from './verify-dag.ts';

/** A DAG run elsewhere (the dev loop's worker): its id, its `verify` settings and how to run one interval. */
export interface IdempotencyTarget extends IntervalRunner {
  readonly verify?: VerifySettings;
}

/** Options of {@link checkIdempotency}. */
export interface CheckIdempotencyOptions {
  /**
   * The interval has just run on the current state (the dev loop ran it): fingerprint now, run
   * it once more and compare, instead of running it twice.
   */
  alreadyRan?: boolean;
  /** The run before `interval`, for dependsOnPast tasks. */
  previous?: DagRunResult | null;
  /** Project settings (`verify` in dagbox.config.ts); the DAG's own win per table. */
  settings?: VerifySettings;
  log?: (line: string) => void;
}

/**
 * Check 1 for one interval, on the session's current state: run it (unless `alreadyRan`),
 * fingerprint every table and object, run it again, fingerprint again, compare. On a difference
 * the changed tables are kept and the interval runs a third time, so the result carries the
 * row-level diff of one more run. Nothing is restored: the state is left as the last run left it.
 *
 * ```ts
 * // after the dev loop re-ran the latest interval of a saved DAG:
 * const check = await checkIdempotency(session, dag, interval, env, { alreadyRan: true });
 * for (const line of formatCheckResult(check)) console.log(line);
 * ```
 *
 * `target` is a loaded {@link Dag} (with `env`, the run environment holding the session hooks),
 * or an {@link IdempotencyTarget} whose `run` runs the interval wherever the caller runs DAGs.
 */
export async function checkIdempotency(
  session: VerifySession,
  target: Dag | IdempotencyTarget,
  interval: DataInterval,
  env: RunEnvironment | null,
  options: CheckIdempotencyOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  let runner: IntervalRunner;
  let verify: VerifySettings | undefined;
  if (isDag(target)) {
    if (!env) throw new Error(`checkIdempotency(${target.id}): a Dag needs the run environment (with the session's hooks) to run in; pass env`);
    runner = dagRunner(target, env);
    verify = target.options.verify;
  } else {
    runner = target;
    verify = target.verify;
  }
  const ctx = new VerifyContext(session, runner, new TableSettings(options.settings, verify), options.log);
  const label = intervalLabel(interval);
  try {
    const previous = options.previous ?? null;
    if (!options.alreadyRan) {
      const first = await ctx.run('first run', interval, previous);
      if (ctx.verdict(first) === 'broken') return result('idempotency', 'not-run', `the run of ${label} failed, so it cannot be re-run and compared`, 0, [], performance.now() - started);
    }
    const afterFirst = await ctx.capture();
    const outcome = await rerunAndCompare(ctx, interval, afterFirst, previous);
    const ms = performance.now() - started;
    if (outcome.broken) return result('idempotency', 'not-run', `the re-run of ${label} failed, so nothing can be compared`, 0, [], ms);
    const failures = outcome.failure ? [outcome.failure] : [];
    return result('idempotency', failures.length > 0 ? 'fail' : 'pass', idempotencySummary(1, failures), 1, failures, ms);
  } finally {
    await ctx.keeper.dispose();
  }
}
