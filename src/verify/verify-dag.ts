import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import type { DagRunResult, RunEnvironment } from '../run/index.ts';
import type { Snapshot } from '../snapshot/index.ts';
import { atomicityCheck } from './checks/atomicity.ts';
import { forwardPass, idempotencySummary, type ForwardPass } from './checks/idempotency.ts';
import { orderCheck, type OrderSpec } from './checks/order.ts';
import { middleInterval, replayCheck } from './checks/replay.ts';
import { VerifyContext, type VerifySession } from './context.ts';
import type { KeptState } from './keeper.ts';
import { intervalLabel, plural, windowLabel } from './labels.ts';
import { maskResult } from './mask-result.ts';
import { ruleHooks, type RuleFindings } from './rules.ts';
import { dagRunner, type DagRunner } from './runner.ts';
import { TableSettings } from './settings.ts';
import type { CheckFailure, CheckId, CheckResult, CheckStatus, DagVerification, StateFingerprint, VerifySettings } from './types.ts';

/** Options of {@link verifyDag}. */
export interface VerifyDagOptions {
  /** The window, oldest first. */
  intervals: DataInterval[];
  /** The fixtures' snapshot: check 2 restores it before running the window in another order. */
  fixtures: Snapshot | null;
  /** Restore `fixtures` before starting (when an earlier DAG or test changed the services). */
  restoreFirst?: boolean;
  /** Checks to run. Default: all, with `atomicity` only when `faults` is set. */
  checks?: CheckId[];
  /** Run check 4 (atomicity under injected failures). */
  faults?: boolean;
  /** Check 2's order: `backwards` (default) or `shuffle` with `seed`. */
  order?: 'backwards' | 'shuffle';
  seed?: number;
  /** Check 2 with this many runs at once. */
  maxActiveRuns?: number;
  /** Project-level settings (`verify` in dagbox.config.ts); the DAG's own `verify` wins per table. */
  settings?: VerifySettings;
  /** Progress lines (`idempotency: 2021-02-05 ok`). */
  log?: (line: string) => void;
}

/** The titles checks are reported under. */
export const CHECK_TITLES: Record<CheckId, string> = {
  runs: 'runs',
  idempotency: 'idempotency',
  'backfill-order': 'backfill order',
  replay: 'replay',
  atomicity: 'atomicity',
  'write-interval': 'write in interval',
  'data-checks': 'data checks',
};

const ALL_CHECKS: CheckId[] = ['runs', 'idempotency', 'backfill-order', 'replay', 'atomicity', 'write-interval', 'data-checks'];

/**
 * Verify a DAG over a window on the session's services, starting from the fixtures:
 *
 * 1. idempotency: each interval, oldest first, runs twice; the fingerprints after each run must match;
 * 2. backfill order: the window is run again from the fixtures backwards (or shuffled, or
 *    concurrently); the final state must match the one left in date order;
 * 3. replay: after the window, the middle interval runs again; nothing may change;
 * 4. atomicity (with `faults`): each writing task fails midway; its tables must be as before it;
 * 5. write inside the interval, for tables given an event-time column;
 * 6. data checks: the DAG's check tasks and declared keys, on every run.
 *
 * Every difference comes with a row-level diff. Runs are not recorded in the run history.
 *
 * ```ts
 * const snap = await session.snapshot('fixtures');
 * const report = await verifyDag(session, dag, env, { intervals, fixtures: snap });
 * console.log(formatVerification(report).join('\n'));
 * ```
 */
export async function verifyDag(session: VerifySession, dag: Dag, env: RunEnvironment, options: VerifyDagOptions): Promise<DagVerification> {
  // Diffs show table values, which may hold secrets a task wrote: every output reads the masked copy.
  const log = options.log;
  const masked = log ? { ...options, log: (line: string) => log(env.masker.mask(line)) } : options;
  return maskResult(await verifyUnmasked(session, dag, env, masked), env.masker);
}

async function verifyUnmasked(session: VerifySession, dag: Dag, env: RunEnvironment, options: VerifyDagOptions): Promise<DagVerification> {
  const started = performance.now();
  const intervals = [...options.intervals].sort((a, b) => a.start.getTime() - b.start.getTime());
  const wanted = wantedChecks(options);
  const settings = new TableSettings(options.settings, dag.options.verify);
  const log = options.log ?? (() => {});
  const runner = dagRunner(dag, env);
  const ctx = new VerifyContext(session, runner, settings, log);
  const results = new Map<CheckId, CheckResult>();
  const put = (r: CheckResult) => results.set(r.check, r);

  try {
    if (intervals.length === 0) {
      for (const id of wanted) put(result(id, 'skip', 'the window holds no interval', 0, [], 0));
      return finish(dag.id, intervals, wanted, results, ctx, started);
    }
    if (options.restoreFirst) await ctx.restore(options.fixtures);
    const initial = await ctx.capture();
    log(`${dag.id}: window ${windowLabel(intervals)}, ${plural(intervals.length, 'interval')}; fixtures fingerprinted in ${Math.round(initial.ms)}ms`);

    // Checks 1, 5 and 6 share the forward pass.
    const eventTables = settings.eventTimeTables();
    const rules = ruleHooks(ctx, { writeInterval: wanted.has('write-interval') && eventTables.length > 0 });
    const t1 = performance.now();
    const forward = await forwardPass(ctx, intervals, initial, wanted.has('idempotency'), rules.hooks);
    const forwardMs = performance.now() - t1;
    if (wanted.has('idempotency')) {
      put(result('idempotency', forward.failures.length > 0 ? 'fail' : 'pass', idempotencySummary(forward.checked, forward.failures), forward.checked, forward.failures, forwardMs));
      log(`idempotency: ${forward.failures.length === 0 ? 'pass' : 'FAIL'}`);
    }
    if (forward.broken) {
      skipRest(wanted, results, `a run of ${intervalLabel(forward.broken.interval)} failed (see runs)`);
      return finish(dag.id, intervals, wanted, results, ctx, started);
    }
    putRuleResults(wanted, results, rules.findings, eventTables, forwardMs);

    let windowState = forward.state;
    let kept: KeptState | null = await ctx.keepChanged('after the window', ctx.compare(initial, windowState));
    try {
      if (wanted.has('replay')) put(await runReplay(ctx, intervals, forward, windowState, kept));
      if (wanted.has('atomicity')) put(await runAtomicity(ctx, intervals));
      if (wanted.has('backfill-order')) {
        const t2 = performance.now();
        if (dependsOnPastTasks(dag).length > 0) {
          put(result('backfill-order', 'skip', `tasks ${dependsOnPastTasks(dag).join(', ')} have dependsOnPast, so the window can only run oldest first`, 0, [], 0));
        } else {
          if (forward.failures.length > 0) {
            // Re-runs changed the state: build the in-order state again, one run per interval.
            await ctx.keeper.release(kept);
            kept = null;
            await ctx.restore(options.fixtures);
            const single = await forwardPass(ctx, intervals, initial, false);
            if (single.broken) {
              put(runBroken('backfill-order', single.broken, performance.now() - t2));
              return finish(dag.id, intervals, wanted, results, ctx, started);
            }
            windowState = single.state;
            kept = await ctx.keepChanged('after the window', ctx.compare(initial, windowState));
          }
          const spec = orderSpec(options);
          const outcome = await orderCheck(ctx, options.fixtures, intervals, windowState, kept!, spec);
          const ms = performance.now() - t2;
          const seed = spec.order === 'shuffle' ? spec.seed : undefined;
          if (outcome.broken) put({ ...runBroken('backfill-order', outcome.broken, ms), ...(seed !== undefined ? { seed } : {}) });
          else {
            const summary = outcome.failure
              ? `the window run ${outcome.description} differs from the window run in date order`
              : `the window run ${outcome.description} from the fixtures left the same tables and objects as in date order`;
            put(result('backfill-order', outcome.failure ? 'fail' : 'pass', summary, 1, outcome.failure ? [outcome.failure] : [], ms, seed));
          }
          log(`backfill order: ${outcome.failure || outcome.broken ? 'FAIL' : 'pass'}`);
        }
      }
    } finally {
      await ctx.keeper.release(kept);
    }
    return finish(dag.id, intervals, wanted, results, ctx, started);
  } finally {
    await ctx.keeper.dispose();
  }
}

/** The checks to run: those asked for, else all but atomicity (which `faults` adds). */
function wantedChecks(options: VerifyDagOptions): Set<CheckId> {
  const wanted = new Set(options.checks ?? ALL_CHECKS.filter((c) => c !== 'atomicity' || options.faults));
  if (options.faults) wanted.add('atomicity');
  return wanted;
}

/** How check 2 reorders the window: backwards unless `order` says shuffle (with `seed`, else a fresh one). */
function orderSpec(options: VerifyDagOptions): OrderSpec {
  return {
    order: options.order ?? 'backwards',
    seed: options.seed ?? randomSeed(),
    maxActiveRuns: options.maxActiveRuns ?? 1,
  };
}

async function runReplay(ctx: VerifyContext, intervals: DataInterval[], forward: ForwardPass, windowState: StateFingerprint, kept: KeptState): Promise<CheckResult> {
  const mid = middleInterval(intervals);
  if (forward.failures.some((f) => f.interval?.start.getTime() === mid.start.getTime())) {
    return result('replay', 'skip', `${intervalLabel(mid)} is not idempotent (check 1), so replaying it cannot leave the tables unchanged`, 0, [], 0);
  }
  const t = performance.now();
  const outcome = await replayCheck(ctx, intervals, windowState, kept, forward.lastRuns);
  const ms = performance.now() - t;
  ctx.log(`replay: ${outcome.failure || outcome.broken ? 'FAIL' : 'pass'}`);
  if (outcome.broken) return runBroken('replay', outcome.broken, ms);
  const label = intervalLabel(outcome.interval);
  return result(
    'replay',
    outcome.failure ? 'fail' : 'pass',
    outcome.failure ? `replaying ${label} after the window changed the tables` : `replaying ${label} after the window left every table and object unchanged`,
    1,
    outcome.failure ? [outcome.failure] : [],
    ms,
  );
}

async function runAtomicity(ctx: VerifyContext, intervals: DataInterval[]): Promise<CheckResult> {
  const t = performance.now();
  if (!('runWith' in ctx.runner)) return result('atomicity', 'skip', 'fault injection needs the DAG itself', 0, [], 0);
  const interval = middleInterval(intervals);
  const outcome = await atomicityCheck(ctx, ctx.runner as DagRunner, interval);
  const ms = performance.now() - t;
  ctx.log(`atomicity: ${outcome.failures.length > 0 ? 'FAIL' : outcome.skipped ? 'skip' : 'pass'}`);
  if (outcome.skipped) return result('atomicity', 'skip', outcome.skipped, 0, [], ms);
  const summary =
    outcome.failures.length > 0
      ? `${outcome.failures.length} of ${plural(outcome.checked, 'injected failure')} left a partial result (tasks ${[...new Set(outcome.failures.map((f) => f.taskId))].join(', ')})`
      : `${plural(outcome.checked, 'injected failure')} in ${plural(outcome.writers.length, 'writing task')} (${outcome.writers.join(', ')}) left the tables as before the task`;
  return result('atomicity', outcome.failures.length > 0 ? 'fail' : 'pass', summary, outcome.checked, outcome.failures, ms);
}

function putRuleResults(wanted: Set<CheckId>, results: Map<CheckId, CheckResult>, findings: RuleFindings, eventTables: string[], ms: number): void {
  if (wanted.has('write-interval')) {
    const { writeChecks } = findings.counts;
    if (eventTables.length === 0) results.set('write-interval', result('write-interval', 'skip', 'no table has an event-time column (verify.eventTime)', 0, [], 0));
    else
      results.set(
        'write-interval',
        result(
          'write-interval',
          findings.writeInterval.length > 0 ? 'fail' : 'pass',
          findings.writeInterval.length > 0
            ? `${findings.writeInterval.length} run(s) wrote rows outside their interval (${eventTables.join(', ')})`
            : `every run wrote rows of ${eventTables.join(', ')} inside its interval`,
          writeChecks,
          findings.writeInterval,
          0,
        ),
      );
  }
  if (wanted.has('data-checks')) results.set('data-checks', result('data-checks', 'pass', '', findings.counts.keyChecks, findings.keys, ms));
}

/** Checks 0 (runs) and 6 (data checks) from every run verification made. */
function finish(dagId: string, intervals: DataInterval[], wanted: Set<CheckId>, results: Map<CheckId, CheckResult>, ctx: VerifyContext, started: number): DagVerification {
  const counted = ctx.runs.filter((r) => !r.step.startsWith('fault'));
  const broken = counted.filter((r) => ctx.verdict(r.run) === 'broken');
  const runFailures: CheckFailure[] = broken.map((r) => ({ interval: r.run.interval, message: `${r.step} of ${intervalLabel(r.run.interval)} failed: ${runError(r.run)}` }));
  results.set(
    'runs',
    result(
      'runs',
      broken.length > 0 ? 'fail' : counted.length === 0 ? 'skip' : 'pass',
      broken.length > 0 ? `${broken.length} of ${plural(counted.length, 'run')} failed` : counted.length === 0 ? 'no run was made' : `${plural(counted.length, 'run')} succeeded`,
      counted.length,
      runFailures,
      0,
    ),
  );
  if (wanted.has('data-checks')) {
    const keyPart = results.get('data-checks');
    const checkRuns = counted.flatMap((r) => r.run.tasks.filter((t) => ctx.isDataCheck(t.taskId) && t.state !== 'none').map((t) => ({ r, t })));
    const failedChecks = checkRuns.filter(({ t }) => t.state === 'failed');
    const failures: CheckFailure[] = [
      ...failedChecks.map(({ r, t }) => ({ interval: r.run.interval, taskId: t.taskId, message: `data check ${t.taskId} failed on ${intervalLabel(r.run.interval)} (${r.step}): ${t.error ?? 'no error message'}` })),
      ...(keyPart?.failures ?? []),
    ];
    const checked = checkRuns.length + (keyPart?.checked ?? 0);
    const status: CheckStatus = failures.length > 0 ? 'fail' : checked === 0 ? 'skip' : 'pass';
    const summary =
      status === 'skip'
        ? 'the DAG has no data-check task (columnCheck, tableCheck, *_check) and no declared keys (verify.keys)'
        : failures.length > 0
          ? `${failures.length} data check(s) failed`
          : [
              checkRuns.length > 0 ? `${plural(checkRuns.length, 'data-check task run')} passed` : '',
              keyPart && keyPart.checked > 0 ? `declared keys unique after ${plural(keyPart.checked, 'run')}` : '',
            ]
              .filter(Boolean)
              .join('; ');
    results.set('data-checks', result('data-checks', status, summary, checked, failures, 0));
  }
  const checks = ALL_CHECKS.filter((id) => id === 'runs' || wanted.has(id)).map((id) => results.get(id) ?? result(id, 'skip', 'not run', 0, [], 0));
  return {
    dagId,
    intervals,
    checks,
    ok: checks.every((c) => c.status !== 'fail'),
    ms: performance.now() - started,
    runs: ctx.runs.length,
  };
}

function skipRest(wanted: Set<CheckId>, results: Map<CheckId, CheckResult>, why: string): void {
  for (const id of wanted) if (!results.has(id) && id !== 'runs' && id !== 'data-checks') results.set(id, result(id, 'skip', why, 0, [], 0));
}

function runBroken(check: CheckId, run: DagRunResult, ms: number): CheckResult {
  return result(check, 'skip', `a run of ${intervalLabel(run.interval)} failed (see runs): ${runError(run)}`, 0, [], ms);
}

function runError(run: DagRunResult): string {
  const failed = run.tasks.find((t) => t.state === 'failed');
  return failed ? `task ${failed.taskId}: ${(failed.error ?? 'no error message').split('\n')[0]}` : (run.error ?? run.state);
}

/** A check result. */
export function result(check: CheckId, status: CheckStatus, summary: string, checked: number, failures: readonly CheckFailure[], ms: number, seed?: number): CheckResult {
  return { check, title: CHECK_TITLES[check], status, summary, checked, failed: failures.length, ms, failures, ...(seed !== undefined ? { seed } : {}) };
}

function dependsOnPastTasks(dag: Dag): string[] {
  return [...dag.tasks.values()].filter((t) => t.args.dependsOnPast ?? dag.options.defaultArgs?.dependsOnPast).map((t) => t.id);
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
