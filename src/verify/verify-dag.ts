import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import type { DagRunResult, RunEnvironment } from '../run/index.ts';
import type { Snapshot } from '../snapshot/index.ts';
import { atomicityCheck } from './checks/atomicity.ts';
import { forwardPass, idempotencySummary, type ForwardPass } from './checks/idempotency.ts';
import { orderCheck, type OrderSpec } from './checks/order.ts';
import { middleInterval, replayCheck } from './checks/replay.ts';
import { causeHints, type CauseEvidence } from './causes.ts';
import { concurrencyCheck, CONCURRENT_STEP } from './checks/concurrency.ts';
import { VerifyContext, type VerifyRun, type VerifySession } from './context.ts';
import type { KeptState } from './keeper.ts';
import { intervalLabel, plural, windowLabel } from './labels.ts';
import { maskResult } from './mask-result.ts';
import { ruleHooks, type RuleFindings } from './rules.ts';
import { dagRunner, type DagRunner } from './runner.ts';
import { TableSettings } from './settings.ts';
import type { CheckFailure, CheckId, CheckResult, CheckStatus, DagVerification, StateFingerprint, Verdict, VerifySettings } from './types.ts';

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
  /**
   * Runs at once for the concurrency check (default: the DAG's `maxActiveRuns`): above 1, the
   * window also runs that many intervals at once and must leave what it leaves one at a time.
   */
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
  concurrency: 'concurrent runs',
  replay: 'replay',
  atomicity: 'atomicity',
  'write-interval': 'write in interval',
  'data-checks': 'data checks',
};

const ALL_CHECKS: CheckId[] = ['runs', 'idempotency', 'backfill-order', 'concurrency', 'replay', 'atomicity', 'write-interval', 'data-checks'];

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
  const wanted = new Set(options.checks ?? ALL_CHECKS.filter((c) => c !== 'atomicity' || options.faults));
  if (options.faults) wanted.add('atomicity');
  const settings = new TableSettings(options.settings, dag.options.verify);
  const log = options.log ?? (() => {});
  const runner = dagRunner(dag, env);
  const ctx = new VerifyContext(session, runner, settings, log);
  const results = new Map<CheckId, CheckResult>();
  const put = (r: CheckResult) => results.set(r.check, r);
  const maxActiveRuns = options.maxActiveRuns ?? dag.options.maxActiveRuns ?? 1;

  try {
    if (intervals.length === 0) {
      for (const id of wanted) put(result(id, 'not-run', 'the window holds no interval, so nothing was run or compared', 0, [], 0));
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
      put(idempotencyResult(forward, intervals.length, forwardMs));
      log(`idempotency: ${forward.failures.length === 0 ? (forward.broken ? 'not run' : 'pass') : 'FAIL'}`);
    }
    if (forward.broken) {
      if (wanted.has('write-interval') && eventTables.length === 0) putRuleResults(wanted, results, rules.findings, eventTables, forwardMs);
      notRunRest(wanted, results, `a run of ${intervalLabel(forward.broken.interval)} failed first (see runs), so this check had nothing to compare`);
      return finish(dag.id, intervals, wanted, results, ctx, started);
    }
    putRuleResults(wanted, results, rules.findings, eventTables, forwardMs);

    const win = await serialWindow(ctx, options.fixtures, intervals, initial, forward);
    try {
      if (wanted.has('replay')) put(await runReplay(ctx, intervals, forward, win.state, win.kept!));
      if (wanted.has('atomicity')) put(await runAtomicity(ctx, intervals));
      if (wanted.has('backfill-order')) put(await runBackfillOrder(ctx, dag, options, intervals, win));
      if (wanted.has('concurrency')) put(await runConcurrencyCheck(ctx, dag, options, intervals, maxActiveRuns, win));
    } finally {
      await ctx.keeper.release(win.kept);
    }
    return finish(dag.id, intervals, wanted, results, ctx, started);
  } finally {
    await ctx.keeper.dispose();
  }
}

/** The state the window leaves run once per interval in date order, and the keeper's copy of it. */
interface SerialWindow {
  state: StateFingerprint;
  kept: KeptState | null;
  /** Make `state` the serial one (re-runs that changed things are undone); a broken run, or null. */
  rebuild: () => Promise<DagRunResult | null>;
}

/** The window state after the forward pass, kept; rebuilt from the fixtures at most once, when a re-run changed things. */
async function serialWindow(ctx: VerifyContext, fixtures: Snapshot | null, intervals: DataInterval[], initial: StateFingerprint, forward: ForwardPass): Promise<SerialWindow> {
  let serialRebuilt = forward.failures.length === 0;
  const win: SerialWindow = {
    state: forward.state,
    kept: await ctx.keepChanged('after the window', ctx.compare(initial, forward.state)),
    rebuild: async () => {
      if (serialRebuilt) return null;
      serialRebuilt = true;
      await ctx.keeper.release(win.kept);
      win.kept = null;
      await ctx.restore(fixtures);
      const single = await forwardPass(ctx, intervals, initial, false);
      if (single.broken) return single.broken;
      win.state = single.state;
      win.kept = await ctx.keepChanged('after the window', ctx.compare(initial, win.state));
      return null;
    },
  };
  return win;
}

/** Check 2 (backfill order): the window run from the fixtures backwards or shuffled must leave the serial state. */
async function runBackfillOrder(ctx: VerifyContext, dag: Dag, options: VerifyDagOptions, intervals: DataInterval[], win: SerialWindow): Promise<CheckResult> {
  const t2 = performance.now();
  if (dependsOnPastTasks(dag).length > 0) {
    return result('backfill-order', 'not-applicable', `tasks ${dependsOnPastTasks(dag).join(', ')} have dependsOnPast, so the window can only run oldest first`, 0, [], 0);
  }
  const broken = await win.rebuild();
  if (broken) return runBroken('backfill-order', broken, performance.now() - t2);
  const spec: OrderSpec = { order: options.order ?? 'backwards', seed: options.seed ?? randomSeed(), maxActiveRuns: 1 };
  const outcome = await orderCheck(ctx, options.fixtures, intervals, win.state, win.kept!, spec);
  const ms = performance.now() - t2;
  const seed = spec.order === 'shuffle' ? spec.seed : undefined;
  ctx.log(`backfill order: ${outcome.failure || outcome.broken ? 'FAIL' : 'pass'}`);
  if (outcome.broken) return { ...runBroken('backfill-order', outcome.broken, ms), ...(seed !== undefined ? { seed } : {}) };
  const summary = outcome.failure
    ? `the window run ${outcome.description} differs from the window run in date order`
    : `the window run ${outcome.description} from the fixtures left the same tables and objects as in date order`;
  return result('backfill-order', outcome.failure ? 'fail' : 'pass', summary, 1, outcome.failure ? [outcome.failure] : [], ms, seed);
}

/** Check 2b (concurrency), when it applies: the window run several intervals at once must leave the serial state. */
async function runConcurrencyCheck(
  ctx: VerifyContext,
  dag: Dag,
  options: VerifyDagOptions,
  intervals: DataInterval[],
  maxActiveRuns: number,
  win: SerialWindow,
): Promise<CheckResult> {
  const t3 = performance.now();
  const why = concurrencyNotApplicable(dag, intervals, maxActiveRuns, options.maxActiveRuns !== undefined);
  if (why) return result('concurrency', 'not-applicable', why, 0, [], 0);
  const broken = await win.rebuild();
  if (broken) return runBroken('concurrency', broken, performance.now() - t3);
  return runConcurrency(ctx, options.fixtures, intervals, win.state, win.kept!, maxActiveRuns, t3);
}

/** Check 1's result: a fail when a re-run changed something, not run when the pass broke before every interval was re-run. */
function idempotencyResult(forward: ForwardPass, total: number, ms: number): CheckResult {
  if (forward.failures.length > 0) return result('idempotency', 'fail', idempotencySummary(forward.checked, forward.failures), forward.checked, forward.failures, ms);
  if (forward.broken) {
    const done = forward.checked > 0 ? `${forward.checked} of ${plural(total, 'interval')} re-run unchanged, then ` : '';
    return result('idempotency', 'not-run', `${done}the run of ${intervalLabel(forward.broken.interval)} failed (see runs), so the rest of the window was never re-run`, forward.checked, [], ms);
  }
  if (forward.checked === 0) return result('idempotency', 'not-run', 'no interval was re-run', 0, [], ms);
  return result('idempotency', 'pass', idempotencySummary(forward.checked, forward.failures), forward.checked, forward.failures, ms);
}

/** Why the concurrency check does not apply, or null when it does. */
function concurrencyNotApplicable(dag: Dag, intervals: readonly DataInterval[], maxActiveRuns: number, fromFlag: boolean): string | null {
  const source = fromFlag ? '--max-active-runs' : `the DAG's maxActiveRuns`;
  if (maxActiveRuns <= 1) return `${source} is 1: Airflow never runs two intervals of it at once`;
  if (intervals.length < 3) return `the window holds ${plural(intervals.length, 'interval')}: the first runs alone to create the tables, so at least 3 are needed for two runs to overlap`;
  const past = dependsOnPastTasks(dag);
  if (past.length > 0) return `tasks ${past.join(', ')} have dependsOnPast, so each run waits for the one before it`;
  return null;
}

async function runConcurrency(
  ctx: VerifyContext,
  fixtures: Snapshot | null,
  intervals: DataInterval[],
  serial: StateFingerprint,
  kept: KeptState,
  maxActiveRuns: number,
  t: number,
): Promise<CheckResult> {
  const outcome = await concurrencyCheck(ctx, fixtures, intervals, serial, kept, maxActiveRuns);
  const ms = performance.now() - t;
  ctx.log(`concurrency: ${outcome.failure ? 'FAIL' : 'pass'}`);
  const n = Math.min(maxActiveRuns, intervals.length - 1);
  if (outcome.failure) {
    const summary = outcome.brokenRuns > 0
      ? `with ${n} runs at once, ${outcome.brokenRuns} of ${plural(intervals.length, 'run')} failed, though every run succeeded one at a time`
      : `the window run ${n} at a time left other tables than run one at a time`;
    return result('concurrency', 'fail', summary, 1, [outcome.failure], ms);
  }
  return result('concurrency', 'pass', `the window run ${n} at a time after its first interval (maxActiveRuns ${maxActiveRuns}) left the same tables and objects as one at a time`, 1, [], ms);
}

async function runReplay(ctx: VerifyContext, intervals: DataInterval[], forward: ForwardPass, windowState: StateFingerprint, kept: KeptState): Promise<CheckResult> {
  const mid = middleInterval(intervals);
  if (forward.failures.some((f) => f.interval?.start.getTime() === mid.start.getTime())) {
    return result('replay', 'not-run', `${intervalLabel(mid)} is not idempotent (check 1 failed), so replaying it cannot leave the tables unchanged`, 0, [], 0);
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
  if (!('runWith' in ctx.runner)) return result('atomicity', 'not-run', 'fault injection needs the DAG itself', 0, [], 0);
  const interval = middleInterval(intervals);
  const outcome = await atomicityCheck(ctx, ctx.runner as DagRunner, interval);
  const ms = performance.now() - t;
  ctx.log(`atomicity: ${outcome.failures.length > 0 ? 'FAIL' : outcome.skipped ? outcome.skipped.status : 'pass'}`);
  if (outcome.skipped) return result('atomicity', outcome.skipped.status, outcome.skipped.why, 0, [], ms);
  const summary =
    outcome.failures.length > 0
      ? `${outcome.failures.length} of ${plural(outcome.checked, 'injected failure')} left a partial result (tasks ${[...new Set(outcome.failures.map((f) => f.taskId))].join(', ')})`
      : `${plural(outcome.checked, 'injected failure')} in ${plural(outcome.writers.length, 'writing task')} (${outcome.writers.join(', ')}) left the tables as before the task`;
  return result('atomicity', outcome.failures.length > 0 ? 'fail' : 'pass', summary, outcome.checked, outcome.failures, ms);
}

function putRuleResults(wanted: Set<CheckId>, results: Map<CheckId, CheckResult>, findings: RuleFindings, eventTables: string[], ms: number): void {
  if (wanted.has('write-interval')) {
    const { writeChecks } = findings.counts;
    if (eventTables.length === 0) results.set('write-interval', result('write-interval', 'not-applicable', 'no table has an event-time column (verify.eventTime)', 0, [], 0));
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

function withCauses(f: CheckFailure, evidence: CauseEvidence): CheckFailure {
  const more = causeHints(f, evidence);
  return more.length === 0 ? f : { ...f, hints: [...(f.hints ?? []), ...more] };
}

/** Steps whose runs are not the DAG's own verdict: injected failures, and the concurrent replay (check 2b judges those). */
function counts(step: string): boolean {
  return !step.startsWith('fault') && !step.startsWith(CONCURRENT_STEP);
}

/** Checks 0 (runs) and 6 (data checks) from every run verification made, and the verdict. */
function finish(dagId: string, intervals: DataInterval[], wanted: Set<CheckId>, results: Map<CheckId, CheckResult>, ctx: VerifyContext, started: number): DagVerification {
  const counted = ctx.runs.filter((r) => counts(r.step));
  const broken = counted.filter((r) => ctx.verdict(r.run) === 'broken');
  const runFailures: CheckFailure[] = broken.map((r) => ({ interval: r.run.interval, message: `${r.step} of ${intervalLabel(r.run.interval)} failed: ${runError(r.run)}` }));
  results.set(
    'runs',
    result(
      'runs',
      broken.length > 0 ? 'fail' : counted.length === 0 ? 'not-run' : 'pass',
      broken.length > 0 ? `${broken.length} of ${plural(counted.length, 'run')} failed` : counted.length === 0 ? 'no run was made' : `${plural(counted.length, 'run')} succeeded`,
      counted.length,
      runFailures,
      0,
    ),
  );
  if (wanted.has('data-checks')) results.set('data-checks', dataChecksResult(ctx, counted, results.get('data-checks')));
  const evidence: CauseEvidence = { intervals, timezone: ctx.dag?.options.timezone ?? 'UTC', statements: ctx.statements, now: Date.now() };
  const checks = ALL_CHECKS.filter((id) => id === 'runs' || wanted.has(id))
    .map((id) => results.get(id) ?? result(id, 'not-run', 'verification ended before this check', 0, [], 0))
    .map((r) => (r.failures.length === 0 ? r : { ...r, failures: r.failures.map((f) => withCauses(f, evidence)) }));
  const verdict: Verdict = checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'not-run') ? 'incomplete' : 'pass';
  return { dagId, intervals, checks, verdict, ok: verdict === 'pass', ms: performance.now() - started, runs: ctx.runs.length };
}

/**
 * Check 6 from the runs: each data-check task of each run passed, failed, or never ran (its
 * upstream failed, it was skipped): a check task that did not run is no evidence, so it is never
 * counted as passed.
 */
function dataChecksResult(ctx: VerifyContext, counted: readonly VerifyRun[], keyPart: CheckResult | undefined): CheckResult {
  const checkTasks = [...(ctx.dag?.tasks.keys() ?? [])].filter((id) => ctx.isDataCheck(id));
  const instances = counted.flatMap((r) =>
    checkTasks.map((taskId) => ({ r, taskId, state: r.run.tasks.find((t) => t.taskId === taskId)?.state ?? 'none', error: r.run.tasks.find((t) => t.taskId === taskId)?.error })),
  );
  const passed = instances.filter((i) => i.state === 'success');
  const failedChecks = instances.filter((i) => i.state === 'failed');
  const notRun = instances.filter((i) => i.state !== 'success' && i.state !== 'failed');
  const failures: CheckFailure[] = [
    ...failedChecks.map(({ r, taskId, error }) => ({ interval: r.run.interval, taskId, message: `data check ${taskId} failed on ${intervalLabel(r.run.interval)} (${r.step}): ${error ?? 'no error message'}` })),
    ...(keyPart?.failures ?? []),
  ];
  const keyChecks = keyPart?.checked ?? 0;
  const checked = passed.length + failedChecks.length + keyChecks;
  const parts = [
    passed.length > 0 ? `${plural(passed.length, 'data-check task run')} passed` : '',
    notRun.length > 0 ? `${notRunSummary(notRun)}` : '',
    keyChecks > 0 && (keyPart?.failures.length ?? 0) === 0 ? `declared keys unique after ${plural(keyChecks, 'run')}` : '',
  ].filter(Boolean);
  if (failures.length > 0) return result('data-checks', 'fail', [`${failures.length} data check(s) failed`, ...parts.slice(1)].join('; '), checked, failures, 0);
  if (notRun.length > 0) return result('data-checks', 'not-run', parts.join('; '), checked, [], 0);
  if (checked === 0) {
    if (checkTasks.length === 0) {
      return result('data-checks', 'not-applicable', 'the DAG has no data-check task (columnCheck, tableCheck, *_check) and writes no table with declared keys (verify.keys)', 0, [], 0);
    }
    return result('data-checks', 'not-run', 'no run reached a data check', 0, [], 0);
  }
  return result('data-checks', 'pass', parts.join('; '), checked, [], 0);
}

/** `2 data-check task runs never ran: nps_check on 2021-02-05 (upstream_failed)` */
function notRunSummary(list: readonly { r: VerifyRun; taskId: string; state: string }[]): string {
  const shown = list.slice(0, 3).map((i) => `${i.taskId} on ${intervalLabel(i.r.run.interval)} (${i.state === 'none' ? 'never scheduled' : i.state})`);
  return `${list.length} data-check task run(s) did not run: ${shown.join(', ')}${list.length > 3 ? ', ...' : ''}`;
}

function notRunRest(wanted: Set<CheckId>, results: Map<CheckId, CheckResult>, why: string): void {
  for (const id of wanted) if (!results.has(id) && id !== 'runs' && id !== 'data-checks') results.set(id, result(id, 'not-run', why, 0, [], 0));
}

function runBroken(check: CheckId, run: DagRunResult, ms: number): CheckResult {
  return result(check, 'not-run', `a run of ${intervalLabel(run.interval)} failed (see runs): ${runError(run)}`, 0, [], ms);
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
