import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { formatLoadError } from '../dag/loader.ts';
import type { DataInterval } from '../dag/types.ts';
import { runDagRun, runIntervals, type DagRunResult, type RunEvent } from '../run/index.ts';
import { backfillIntervals, dueIntervals, intervalAt } from '../schedule/index.ts';
import { dagGraph, failureDetails, formatInterval, ms, progressLine, runLine, shortDate } from './format.ts';
import { globals, jsonOption, positiveInt, servicesOption, type Io } from './main.ts';
import { cliDate, openProject, UserError, withSession } from './project.ts';
import { scheduleSpecOf } from '../run/index.ts';
import type { ServicesFlag } from '../session/session.ts';
import { assertVerifyFlags, runVerifiedBackfill } from './verify-command.ts';

/** `dagbox dags list|show|next|test|backfill`. */
export function registerDagCommands(dags: Command, io: Io, state: { exitCode: number }): void {
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
        const width = Math.max(6, ...rows.map((r) => r.dagId.length));
        io.out(pc.bold(`${'dag_id'.padEnd(width)}  ${'schedule'.padEnd(12)}  ${'tasks'.padStart(5)}  owner      file`));
        for (const r of rows) {
          const file = r.file.startsWith(project.cwd) ? r.file.slice(project.cwd.length + 1) : r.file;
          io.out(`${r.dagId.padEnd(width)}  ${String(r.schedule ?? 'none').padEnd(12)}  ${String(r.tasks).padStart(5)}  ${String(r.owner ?? '-').padEnd(9)}  ${file}`);
        }
        for (const e of project.bag.errors) io.err(`${pc.red('import error')} ${formatLoadError(e)}`);
      }
      if (project.bag.errors.length > 0) state.exitCode = 1;
    });

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
      io.out(`${pc.bold(dag.id)}  ${pc.dim(`schedule ${o.schedule ?? 'none'} · ${o.timezone ?? 'UTC'} · start ${String(o.startDate)} · catchup ${o.catchup ?? true} · maxActiveRuns ${o.maxActiveRuns ?? 1}`)}`);
      if (o.description) io.out(pc.dim(o.description));
      for (const line of dagGraph(dag)) io.out(line);
      if (o.inputs?.length || o.outputs?.length) io.out(`\ninputs: ${(o.inputs ?? []).join(', ') || '-'}\noutputs: ${(o.outputs ?? []).join(', ') || '-'}`);
    });

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

  dags
    .command('test')
    .description('Run one DAG run in-process for the scheduled interval at DATE (its logical date), and report each task')
    .argument('<dag>', 'dag id')
    .argument('<date>', 'logical date, e.g. 2021-02-05; a date inside an interval picks that interval')
    .addOption(servicesOption())
    .addOption(jsonOption())
    .action(async (dagId: string, date: string, opts: { services?: ServicesFlag }, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const dag = project.dag(dagId);
      const interval = intervalAt(scheduleSpecOf(dag), cliDate(date, dag, 'DATE'));
      const run = await withSession(project, opts.services, (l) => io.err(pc.dim(l)), async () => {
        const env = await project.env({ clockStart: interval.end, onEvent: g.json ? undefined : logEvents(io) });
        return runDagRun(dag, interval, env, { runType: 'manual' });
      });
      if (g.json) io.out(JSON.stringify(runJson(run), null, 2));
      else {
        io.out(runLine(run));
        for (const l of failureDetails(run, { verbose: g.verbose === true })) io.err(l);
      }
      if (run.state !== 'success') state.exitCode = 1;
    });

  dags
    .command('backfill')
    .description(
      'Run the intervals whose logical date lies in [START, END): START included, END excluded, as Airflow. ' +
        "Runs up to the DAG's maxActiveRuns intervals at once (--max-active-runs overrides); with --verify, the window is also replayed that many at once and compared with one at a time.",
    )
    .argument('<dag>', 'dag id')
    .requiredOption('-s, --start-date <date>', 'first logical date (included)')
    .requiredOption('-e, --end-date <date>', 'end of the range (excluded)')
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
    .action(async (dagId: string, opts: BackfillOptions, cmd: Command) => {
      const g = globals(cmd);
      assertVerifyFlags(opts);
      const project = await openProject(g.cwd, g);
      const dag = project.dag(dagId);
      const start = cliDate(opts.startDate, dag, '--start-date');
      const end = cliDate(opts.endDate, dag, '--end-date');
      if (end <= start) throw new UserError(`--end-date ${opts.endDate} must be after --start-date ${opts.startDate}: the range [START, END) would be empty`, 2);
      let intervals = backfillIntervals(scheduleSpecOf(dag), start, end);
      if (opts.verify && !opts.dryRun) {
        // Verification replays the whole range on the fixtures, whatever the run history says.
        const verified = await runVerifiedBackfill(project, dag, intervals, opts, io, g.json === true);
        if (!verified.ok) state.exitCode = 1;
        return;
      }
      const skipped = alreadyRan(await project.history(dagId), intervals, opts.reprocess);
      intervals = intervals.filter((i) => !skipped.has(i.start.getTime()));
      if (opts.runBackwards) {
        const dependsOnPast = [...dag.tasks.values()].filter((t) => t.args.dependsOnPast ?? dag.options.defaultArgs?.dependsOnPast);
        if (dependsOnPast.length > 0) {
          throw new UserError(`--run-backwards cannot run DAG "${dagId}": task(s) ${dependsOnPast.map((t) => `"${t.id}"`).join(', ')} have dependsOnPast`, 2);
        }
        intervals.reverse();
      }
      const header = `${pc.bold(dagId)}: ${intervals.length} interval(s) with logical date in [${shortDate(start)}, ${shortDate(end)}) (END excluded)` +
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
      const started = performance.now();
      const progress = progressPrinter(io, g.json === true);
      const runs = await withSession(project, opts.services, (l) => io.err(pc.dim(l)), async () =>
        runIntervals(dag, intervals, await project.env({ clockStart: intervals[0]?.end ?? end }), {
          runType: 'backfill',
          maxActiveRuns: opts.maxActiveRuns,
          onProgress: (done, total, run) => {
            progress.clear();
            if (!g.json) {
              io.out(runLine(run));
              for (const l of failureDetails(run, { verbose: g.verbose === true })) io.err(l);
            }
            progress.show(progressLine(done, total, performance.now() - started));
          },
        }),
      );
      progress.done();
      const failed = runs.filter((r) => r.state !== 'success');
      if (g.json) io.out(JSON.stringify({ dagId, runs: runs.map(runJson), failed: failed.length }, null, 2));
      else {
        const summary = `${runs.length - failed.length} succeeded, ${failed.length} failed in ${ms(performance.now() - started)}`;
        io.out(failed.length > 0 ? pc.red(summary) : pc.green(summary));
      }
      if (failed.length > 0) state.exitCode = 1;
    });
}

interface BackfillOptions {
  startDate: string;
  endDate: string;
  reprocess: 'none' | 'failed' | 'completed';
  runBackwards?: boolean;
  maxActiveRuns?: number;
  dryRun?: boolean;
  verify?: boolean;
  faults?: boolean;
  shuffle?: boolean;
  seed?: number;
  services?: ServicesFlag;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number of 0 or more, got "${value}"`);
  return n;
}

/** Logical dates (ms) to skip because a run for them already exists and --reprocess does not cover it. */
function alreadyRan(history: DagRunResult[], intervals: DataInterval[], reprocess: BackfillOptions['reprocess']): Set<number> {
  const wanted = new Set(intervals.map((i) => i.start.getTime()));
  const latest = new Map<number, DagRunResult>();
  for (const run of history) {
    const t = new Date(run.interval.start).getTime();
    if (!wanted.has(t)) continue;
    const prev = latest.get(t);
    if (!prev || new Date(prev.startedAt) < new Date(run.startedAt)) latest.set(t, run);
  }
  const skip = new Set<number>();
  for (const [t, run] of latest) {
    if (reprocess === 'completed') continue;
    if (reprocess === 'failed' && run.state !== 'success') continue;
    if (run.state === 'running') continue;
    skip.add(t);
  }
  return skip;
}

/** Prints task state changes and log lines of a single run as they happen. */
function logEvents(io: Io) {
  return (e: RunEvent) => {
    if (e.type === 'log') io.err(pc.dim(`[${e.taskId}] ${e.line}`));
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
  return { ...run, interval: intervalJson(run.interval) };
}

function serializableOptions(o: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'function' ? `[function ${(v as { name?: string }).name || 'anonymous'}]` : v))) as Record<string, unknown>;
}

