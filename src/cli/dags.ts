import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { formatLoadError } from '../dag/loader.ts';
import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import { formatTable } from '../shared/table.ts';
import { runDagRun, runIntervals, type DagRunResult, type RunEvent, RunCoordinator, type RunEnvironment } from '../run/index.ts';
import { backfillIntervals, dueIntervals, intervalAt, describeSchedule, manualInterval } from '../schedule/index.ts';
import { dagGraph, failureDetails, formatInterval, progressLine, runLine, shortDate } from '../app/format.ts';
import { ms } from '../shared/ms.ts';
import { globals, jsonOption, positiveInt, servicesOption, type GlobalOptions, type Io } from './options.ts';
import { cliDate, openProject, UserError, withSession, type Project } from '../app/project.ts';
import { scheduleSpecOf } from '../run/index.ts';
import type { ServicesFlag } from '../app/session.ts';
import { assertVerifyFlags, runVerifiedBackfill } from './verify-command.ts';
import { endedBySignal, trapStopSignals } from './interrupt.ts';
import { resolveParams } from '../dag/params.ts';

/** Where a command action records its exit code (main returns it). */
interface ExitState {
  exitCode: number;
}

/** `dagbox dags list|show|next|test|backfill`. */
export function registerDagCommands(dags: Command, io: Io, state: ExitState): void {
  registerList(dags, io, state);
  registerShow(dags, io);
  registerNext(dags, io);
  registerTest(dags, io, state);
  registerBackfill(dags, io, state);
}

/** `dags list`: every DAG that loads, and every file that does not. */
function registerList(dags: Command, io: Io, state: ExitState): void {
  dags
    .command('list')
    .description('List the DAGs that load, and every file that does not (exit 1 when any fails)')
    .addOption(jsonOption())
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const rows = project.bag.dags.map(({ dag, file }) => ({
        dagId: dag.id,
        file,
        schedule: dag.options.schedule ?? null,
        timezone: dag.options.timezone ?? 'UTC',
        startDate: dag.options.startDate,
        owner: dag.options.owner ?? dag.options.defaultArgs?.owner ?? null,
        tags: dag.options.tags ?? [],
        tasks: dag.tasks.size,
      }));
      if (g.json) io.out(JSON.stringify({ dags: rows, errors: project.bag.errors }, null, 2));
      else {
        const table = formatTable(
          [
            ['dag_id', 'schedule', 'tasks', 'owner', 'file'],
            ...rows.map((r) => [r.dagId, describeSchedule(r.schedule), String(r.tasks), String(r.owner ?? '-'), relativeTo(project.cwd, r.file)]),
          ],
          { align: ['left', 'left', 'right'], minWidths: [6, 12, 5, 9] },
        );
        table.forEach((line, i) => io.out(i === 0 ? pc.bold(line) : line));
        for (const e of project.bag.errors) io.err(`${pc.red('import error')} ${formatLoadError(e)}`);
      }
      if (project.bag.errors.length > 0) state.exitCode = 1;
    });
}

/** `dags show DAG`: tasks by level and every edge. */
function registerShow(dags: Command, io: Io): void {
  dags
    .command('show')
    .description('Show a DAG as text: tasks by level and every dependency')
    .argument('<dag>', 'dag id')
    .addOption(jsonOption())
    .action(async (dagId: string, _opts, cmd: Command) => {
      const g = globals(cmd);
      const dag = (await openProject(g.cwd, g)).dag(dagId);
      if (g.json) {
        const tasks = [...dag.tasks.values()].map((t) => ({ taskId: t.id, kind: t.kind, upstream: [...t.upstream], downstream: [...t.downstream] }));
        io.out(JSON.stringify({ dagId: dag.id, options: serializableOptions(dag.options), tasks }, null, 2));
        return;
      }
      const o = dag.options;
      io.out(`${pc.bold(dag.id)}  ${pc.dim(`schedule ${describeSchedule(o.schedule)} · ${o.timezone ?? 'UTC'} · start ${String(o.startDate)} · catchup ${o.catchup ?? true} · maxActiveRuns ${o.maxActiveRuns ?? 1}`)}`);
      if (o.description) io.out(pc.dim(o.description));
      for (const line of dagGraph(dag)) io.out(line);
      if (o.inputs?.length || o.outputs?.length) io.out(`\ninputs: ${(o.inputs ?? []).join(', ') || '-'}\noutputs: ${(o.outputs ?? []).join(', ') || '-'}`);
    });
}

/** `dags next DAG`: the intervals due at a simulated time. */
function registerNext(dags: Command, io: Io): void {
  dags
    .command('next')
    .description('Which data intervals are due at a simulated time, honouring startDate, endDate and catchup')
    .argument('<dag>', 'dag id')
    .option('--now <time>', 'simulated current time (default: the real time)')
    .option('--limit <n>', 'show only the latest N due intervals', positiveInt)
    .addOption(jsonOption())
    .action(async (dagId: string, opts: { now?: string; limit?: number }, cmd: Command) => {
      const g = globals(cmd);
      const dag = (await openProject(g.cwd, g)).dag(dagId);
      const now = opts.now ? cliDate(opts.now, dag, '--now') : new Date();
      const due = dueIntervals(scheduleSpecOf(dag), now, { limit: opts.limit });
      if (g.json) {
        io.out(JSON.stringify({ dagId, now: now.toISOString(), intervals: due.map(intervalJson) }, null, 2));
        return;
      }
      const catchup = dag.options.catchup ?? true;
      io.out(`${pc.bold(dagId)} at ${now.toISOString()}: ${due.length} interval(s) due${catchup ? '' : ' (catchup off: only the latest)'}`);
      for (const i of due) io.out(`  logical date ${shortDate(i.start)}  data interval ${formatInterval(i)}  runs at ${i.end.toISOString()}`);
    });
}

/** `dags test DAG DATE`: one DAG run in-process. */
function registerTest(dags: Command, io: Io, state: ExitState): void {
  dags
    .command('test')
    .description(
      "Run one DAG run in-process and report each task. As Airflow 2's `airflow dags test`, it is a manual run with logical date DATE " +
        'whose data interval is the one ENDING at DATE (a daily DAG tested at 2021-02-05 reads [02-04, 02-05)); ' +
        '--scheduled runs the scheduled interval STARTING at DATE instead, as the scheduler would',
    )
    .argument('<dag>', 'dag id')
    .argument('<date>', 'logical date, e.g. 2021-02-05 (UTC unless it has an offset)')
    .option('--scheduled', 'run the scheduled interval that starts at DATE (a date inside an interval picks that interval), as a backfill of DATE would')
    .addOption(servicesOption())
    .addOption(jsonOption())
    .action(async (dagId: string, date: string, opts: { services?: ServicesFlag; scheduled?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const dag = project.dag(dagId);
      const at = cliDate(date, dag, 'DATE');
      const spec = scheduleSpecOf(dag);
      const interval = opts.scheduled ? intervalAt(spec, at) : manualInterval(spec, at);
      const logicalDate = opts.scheduled ? interval.start : at;
      const { result: run, triggered } = await withSession(project, opts.services, (l) => io.err(pc.dim(l)), async () => {
        const env = await project.env({ clockStart: new Date(Math.max(interval.end.getTime(), logicalDate.getTime())), onEvent: g.json ? undefined : logEvents(io) });
        return withFollowUps(project, env, io, g.json === true, (e) => runDagRun(dag, interval, e, { runType: 'manual', logicalDate }), true, g.verbose === true);
      });
      if (g.json) io.out(JSON.stringify({ ...runJson(run), triggered: triggered.map(runJson) }, null, 2));
      else {
        io.out(runLine(run));
        for (const l of failureDetails(run, { verbose: g.verbose === true })) io.err(l);
      }
      if (run.state !== 'success' || triggered.some((r) => r.state !== 'success')) state.exitCode = 1;
    });

  dags
    .command('trigger')
    .description(
      "Trigger one manual run now, in-process, as Airflow 2's `airflow dags trigger DAG -c CONF -e DATE`: logical date DATE (default: now), " +
        'the data interval Airflow infers for it (the last one ending at DATE), and `dag_run.conf` = CONF, which overrides the DAG\'s params',
    )
    .argument('<dag>', 'dag id')
    .option('-c, --conf <json>', 'a JSON object: dag_run.conf, and params it overrides', '{}')
    .option('-e, --exec-date <date>', 'logical date of the run (UTC unless it has an offset; default: now)')
    .addOption(servicesOption())
    .addOption(jsonOption())
    .action(async (dagId: string, opts: { conf: string; execDate?: string; services?: ServicesFlag }, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const dag = project.dag(dagId);
      const conf = confOf(opts.conf);
      try {
        resolveParams(dag.options.params, conf, `DAG "${dagId}"`);
      } catch (error) {
        throw new UserError(`cannot trigger ${(error as Error).message}`, 2);
      }
      const logicalDate = opts.execDate ? cliDate(opts.execDate, dag, '--exec-date') : new Date();
      const interval = manualInterval(scheduleSpecOf(dag), logicalDate);
      const { result: run, triggered } = await withSession(project, opts.services, (l) => io.err(pc.dim(l)), async () => {
        const env = await project.env({ clockStart: logicalDate, onEvent: g.json ? undefined : logEvents(io) });
        return withFollowUps(project, env, io, g.json === true, (e) => runDagRun(dag, interval, e, { runType: 'manual', logicalDate, conf, externalTrigger: true }), true, g.verbose === true);
      });
      if (g.json) io.out(JSON.stringify({ ...runJson(run), triggered: triggered.map(runJson) }, null, 2));
      else {
        io.out(runLine(run));
        for (const l of failureDetails(run, { verbose: g.verbose === true })) io.err(l);
      }
      if (run.state !== 'success' || triggered.some((r) => r.state !== 'success')) state.exitCode = 1;
    });
}

/** `dags backfill DAG -s START -e END`: the intervals in the range, or their verification with --verify. */
function registerBackfill(dags: Command, io: Io, state: ExitState): void {
  dags
    .command('backfill')
    .description(
      "Run the intervals whose logical date lies in [START, END], both included, as Airflow 2's `airflow dags backfill -s START -e END`; " +
        '--end-exclusive reads the range as [START, END), as the course notes write it. Dates are UTC unless they carry an offset. ' +
        "Dates before the DAG's startDate run, as in Airflow; a range past its endDate is refused (Airflow deadlocks there). " +
        "Runs up to the DAG's maxActiveRuns intervals at once (--max-active-runs overrides); with --verify, the window is also replayed that many at once and compared with one at a time.",
    )
    .argument('<dag>', 'dag id')
    .requiredOption('-s, --start-date <date>', 'first logical date (included)')
    .requiredOption('-e, --end-date <date>', 'last logical date (included; excluded with --end-exclusive)')
    .option('--end-exclusive', 'read the range as [START, END): END excluded, as the course notes write backfills')
    .addOption(
      new Option('--reprocess <which>', 'intervals that already ran: none (skip them), failed (re-run failed ones), completed (re-run all)')
        .choices(['none', 'failed', 'completed'])
        .default('none'),
    )
    .option('--run-backwards', 'run the latest interval first (tasks with dependsOnPast refuse this)')
    .option('--max-active-runs <n>', "concurrent runs (default: the DAG's maxActiveRuns); with --verify, the runs at once the concurrency check replays", positiveInt)
    .option('--dry-run', 'print the intervals that would run, and run nothing')
    .option('--verify', 'replay the range on the fixtures and prove it safe to backfill: idempotency, backfill order and replay, with row-level diffs (nothing is recorded)')
    .option('--faults', 'with --verify: also make each writing task fail midway and prove it leaves no partial result')
    .option('--shuffle', 'with --verify: check the order by running the range shuffled (the seed is printed) instead of backwards')
    .option('--seed <n>', 'with --shuffle: replay the order of an earlier shuffle', nonNegativeInt)
    .addOption(servicesOption())
    .addOption(jsonOption())
    .action((dagId: string, opts: BackfillOptions, cmd: Command) => backfill(dagId, opts, globals(cmd), io, state));
}

interface BackfillOptions {
  startDate: string;
  endDate: string;
  reprocess: 'none' | 'failed' | 'completed';
  endExclusive?: boolean;
  runBackwards?: boolean;
  maxActiveRuns?: number;
  dryRun?: boolean;
  verify?: boolean;
  faults?: boolean;
  shuffle?: boolean;
  seed?: number;
  services?: ServicesFlag;
}

/** `dags backfill`: check the flags and the range, then verify it (--verify), print it (--dry-run) or run it. */
async function backfill(dagId: string, opts: BackfillOptions, g: GlobalOptions, io: Io, state: ExitState): Promise<void> {
  assertVerifyFlags(opts);
  const project = await openProject(g.cwd, g);
  const dag = project.dag(dagId);
  const start = cliDate(opts.startDate, dag, '--start-date');
  const end = cliDate(opts.endDate, dag, '--end-date');
  const exclusive = opts.endExclusive === true;
  if (exclusive ? end <= start : end < start) {
    throw new UserError(
      exclusive
        ? `--end-date ${opts.endDate} must be after --start-date ${opts.startDate}: with --end-exclusive the range [START, END) would be empty`
        : `--end-date ${opts.endDate} must not be before --start-date ${opts.startDate}: the range [START, END] would be empty`,
      2,
    );
  }
  let inRange: DataInterval[];
  try {
    inRange = backfillIntervals(scheduleSpecOf(dag), start, end, { endExclusive: exclusive });
  } catch (error) {
    throw new UserError(`cannot backfill DAG "${dagId}": ${(error as Error).message}`, 2);
  }
  if (opts.verify && !opts.dryRun) {
    // Verification replays the whole range on the fixtures, whatever the run history says.
    const verified = await runVerifiedBackfill(project, dag, inRange, opts, io, g.json === true);
    if (!verified.ok) state.exitCode = 1;
    return;
  }
  const skipped = alreadyRan(await project.history(dagId), inRange, opts.reprocess);
  const intervals = backfillOrder(dag, inRange.filter((i) => !skipped.has(i.start.getTime())), opts.runBackwards === true);
  const range = exclusive ? `[${shortDate(start)}, ${shortDate(end)}) (END excluded)` : `[${shortDate(start)}, ${shortDate(end)}] (END included)`;
  const header = `${pc.bold(dagId)}: ${intervals.length} interval(s) with logical date in ${range}` +
    (skipped.size > 0 ? `; ${skipped.size} skipped because they already ran (--reprocess ${opts.reprocess === 'none' ? 'failed or completed' : 'completed'} runs them again)` : '');
  if (opts.dryRun) {
    if (g.json) io.out(JSON.stringify({ dagId, dryRun: true, intervals: intervals.map(intervalJson), skipped: skipped.size }, null, 2));
    else {
      io.out(header);
      for (const i of intervals) io.out(`  ${shortDate(i.start)}  ${formatInterval(i)}`);
    }
    return;
  }
  if (!g.json) {
    io.out(header);
    io.out(pc.dim(`  ${intervals.map((i) => shortDate(i.start)).join(', ')}`));
  }
  await runBackfill(project, dag, intervals, end, opts, g, io, state);
}

/** The intervals in run order: oldest first, or latest first with --run-backwards (refused for dependsOnPast). */
function backfillOrder(dag: Dag, intervals: DataInterval[], backwards: boolean): DataInterval[] {
  if (!backwards) return intervals;
  const dependsOnPast = [...dag.tasks.values()].filter((t) => t.args.dependsOnPast ?? dag.options.defaultArgs?.dependsOnPast);
  if (dependsOnPast.length > 0) {
    throw new UserError(`--run-backwards cannot run DAG "${dag.id}": task(s) ${dependsOnPast.map((t) => `"${t.id}"`).join(', ')} have dependsOnPast`, 2);
  }
  return intervals.reverse();
}

/**
 * Run the intervals with the project's session, printing each run and a progress line; sets the exit
 * code. Ctrl-C/SIGTERM ends the loop first: the run in flight is recorded interrupted, later intervals
 * get no run.
 */
async function runBackfill(project: Project, dag: Dag, intervals: DataInterval[], end: Date, opts: BackfillOptions, g: GlobalOptions, io: Io, state: ExitState): Promise<void> {
  const json = g.json === true;
  const started = performance.now();
  const progress = progressPrinter(io, json);
  const stop = trapStopSignals();
  let runs: DagRunResult[];
  let triggered: DagRunResult[] = [];
  try {
    ({ result: runs, triggered } = await withSession(project, opts.services, (l) => io.err(pc.dim(l)), async () => {
      if (stop.signal.aborted) return { result: [] as DagRunResult[], triggered: [] as DagRunResult[] };
      const env = await project.env({ clockStart: intervals[0]?.end ?? end });
      return withFollowUps(project, { ...env, signal: stop.signal }, io, json, (e, coordinator) =>
        runIntervals(dag, intervals, e, {
          runType: 'backfill',
          maxActiveRuns: opts.maxActiveRuns,
          onProgress: (done, total, run) => {
            progress.clear();
            coordinator.after(run);
            if (!json) {
              io.out(runLine(run));
              for (const l of failureDetails(run, { verbose: g.verbose === true })) io.err(l);
            }
            progress.show(progressLine(done, total, performance.now() - started));
          },
        }), false, g.verbose === true);
    }));
  } catch (error) {
    // A signal during start-up makes the start fail; that is the stop asked for, not an error.
    if (!stop.received) throw error;
    runs = [];
  } finally {
    stop[Symbol.dispose]();
  }
  progress.done();
  if (stop.received) {
    const notStarted = intervals.length - runs.length;
    io.err(
      `${pc.red('interrupted')} by ${stop.received}: ${runs.filter((r) => r.state === 'interrupted').length} run(s) recorded interrupted, ` +
        `${notStarted} interval(s) not started and not recorded; the same \`dagbox dags backfill\` resumes there`,
    );
    if (json) io.out(JSON.stringify({ dagId: dag.id, runs: runs.map(runJson), interrupted: stop.received, notStarted }, null, 2));
    state.exitCode = stop.exitCode;
    endedBySignal.signal = stop.received;
    return;
  }
  const failed = [...runs, ...triggered].filter((r) => r.state !== 'success');
  if (json) io.out(JSON.stringify({ dagId: dag.id, runs: runs.map(runJson), triggered: triggered.map(runJson), failed: failed.length }, null, 2));
  else {
    const summary = `${runs.length - failed.length} succeeded, ${failed.length} failed in ${ms(performance.now() - started)}`;
    io.out(failed.length > 0 ? pc.red(summary) : pc.green(summary));
  }
  if (failed.length > 0) state.exitCode = 1;
}

/** `file` relative to the project folder when it lies inside it. */
function relativeTo(cwd: string, file: string): string {
  return file.startsWith(cwd) ? file.slice(cwd.length + 1) : file;
}

function confOf(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`--conf is not JSON: ${(error as Error).message}; pass an object such as '{"limit": 10}'`, 2);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`--conf must be a JSON object such as '{"limit": 10}', found ${text}`, 2);
  }
  return value as Record<string, unknown>;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number of 0 or more, got "${value}"`);
  return n;
}

/**
 * Run `work` with an environment that can trigger other DAGs, then the runs it asked for: dataset-
 * triggered DAGs and TriggerDagRunOperator targets (printed as they end). `record` = false when
 * `work` reports its own runs to the coordinator (a backfill does, run by run).
 */
async function withFollowUps<T extends DagRunResult | DagRunResult[]>(
  project: Project,
  env: RunEnvironment,
  io: Io,
  json: boolean,
  work: (env: RunEnvironment, coordinator: RunCoordinator) => Promise<T>,
  record = true,
  verbose = false,
): Promise<{ result: T; triggered: DagRunResult[] }> {
  const coordinator = new RunCoordinator(project.bag.dags.map((d) => d.dag), env, {
    onRun: (run, request) => {
      if (json) return;
      io.out(`${runLine(run)}  ${pc.dim(`(${request.reason})`)}`);
      for (const l of failureDetails(run, { verbose })) io.err(l);
    },
  });
  const result = await work(coordinator.env(), coordinator);
  if (record) for (const run of Array.isArray(result) ? result : [result]) coordinator.after(run);
  const triggered = await coordinator.drain();
  return { result, triggered };
}

/** Logical dates (ms) to skip because a run for them already exists and --reprocess does not cover it. */
function alreadyRan(history: DagRunResult[], intervals: DataInterval[], reprocess: BackfillOptions['reprocess']): Set<number> {
  const wanted = new Set(intervals.map((i) => i.start.getTime()));
  const latest = new Map<number, DagRunResult>();
  for (const run of history) {
    // Runs are keyed by logical date, as Airflow's dag runs are: a manual run's interval starts earlier.
    const t = new Date(run.logicalDate ?? run.interval.start).getTime();
    if (!wanted.has(t)) continue;
    const prev = latest.get(t);
    if (!prev || new Date(prev.startedAt) < new Date(run.startedAt)) latest.set(t, run);
  }
  const skip = new Set<number>();
  for (const [t, run] of latest) {
    if (reprocess === 'completed') continue;
    if (reprocess === 'failed' && run.state !== 'success') continue;
    // A run that never finished (its process stopped or died) is resumed, not skipped.
    if (run.state === 'running' || run.state === 'interrupted') continue;
    skip.add(t);
  }
  return skip;
}

/** Prints task state changes and log lines of a single run as they happen. */
function logEvents(io: Io) {
  return (e: RunEvent) => {
    if (e.type === 'log') io.err(pc.dim(`[${e.mapIndex === undefined ? e.taskId : `${e.taskId}[${e.mapIndex}]`}] ${e.line}`));
  };
}

/** A progress line redrawn in place on a terminal; on a pipe, printed every 10% and at the end. */
function progressPrinter(io: Io, quiet: boolean) {
  let shown = false;
  let lastDecile = -1;
  return {
    show(line: string) {
      if (quiet) return;
      if (io.tty) {
        process.stderr.write(`\r${pc.dim(line)}\u001b[K`);
        shown = true;
        return;
      }
      const m = /\[(\d+)\/(\d+)\]/.exec(line);
      const decile = m ? Math.floor((Number(m[1]) / Number(m[2])) * 10) : 10;
      if (decile !== lastDecile) {
        lastDecile = decile;
        io.err(pc.dim(line));
      }
    },
    clear() {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
    },
    done() {
      this.clear();
    },
  };
}

function intervalJson(i: DataInterval) {
  return { logicalDate: i.start.toISOString(), dataIntervalStart: i.start.toISOString(), dataIntervalEnd: i.end.toISOString() };
}

function runJson(run: DagRunResult) {
  return { ...run, interval: { ...intervalJson(run.interval), logicalDate: (run.logicalDate ?? run.interval.start).toISOString() } };
}

function serializableOptions(o: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'function' ? `[function ${(v as { name?: string }).name || 'anonymous'}]` : v))) as Record<string, unknown>;
}

