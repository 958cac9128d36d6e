import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import pc from 'picocolors';
import type { Dag } from '../dag/dag.ts';
import { formatLoadError } from '../dag/loader.ts';
import type { DataInterval } from '../dag/types.ts';
import { scheduleSpecOf } from '../run/index.ts';
import { backfillIntervals, dueIntervals, parseDate, describeSchedule, isTimeBased } from '../schedule/index.ts';
import type { ServicesFlag } from '../app/session.ts';
import {
  formatVerification,
  statusCounts,
  reportJson,
  reportJunit,
  reportMarkdown,
  verifyDag,
  type CheckId,
  type DagVerification,
  type TestReport,
} from '../verify/index.ts';
import { ms } from '../shared/ms.ts';
import { globals, jsonOption, servicesOption, type Io } from './options.ts';
import { cliDate, openProject, UserError, type Project } from '../app/project.ts';

/** Intervals `dagbox test` verifies per DAG when the config gives no `window`. */
export const DEFAULT_TEST_WINDOW = 3;

interface TestOptions {
  window?: string;
  reporter: 'text' | 'junit' | 'json' | 'markdown';
  output?: string;
  services?: ServicesFlag;
  faults: boolean;
}

/**
 * `dagbox test [DAG...]`: every DAG (or those named) verified on fresh services, fixtures restored
 * between DAGs: runs, idempotency, backfill order, replay, atomicity under injected failures,
 * writes inside the interval and data checks. Prints a per-DAG, per-check summary, writes JSON
 * and Markdown reports under .dagbox/reports/, and exits 1 on any failure.
 */
export function registerTestCommand(program: Command, io: Io, state: { exitCode: number }): void {
  program
    .command('test')
    .description('Verify every DAG (or those named) over a window of simulated intervals on fresh services: idempotency, backfill order, replay, atomicity, data checks')
    .argument('[dags...]', 'dag ids (default: every DAG)')
    .option('--window <range>', 'logical dates START..END (END excluded), e.g. 2021-02-05..2021-02-08 (default: the last `window` intervals before `now` in dagbox.config.ts)')
    .addOption(new Option('--reporter <kind>', 'what --output gets: junit (XML for CI), json, markdown; text prints to the terminal only').choices(['text', 'junit', 'json', 'markdown']).default('text'))
    .option('--output <file>', 'write the --reporter report to FILE (default: stdout for junit, json and markdown)')
    .option('--no-faults', 'skip check 4 (injected failures), the slowest check')
    .addOption(servicesOption())
    .addOption(jsonOption())
    .action(async (names: string[], opts: TestOptions, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const dags = names.length > 0 ? names.map((n) => project.dag(n)) : project.bag.dags.map((d) => d.dag);
      const loadErrors = names.length > 0 ? [] : project.bag.errors.map((e) => formatLoadError(e));
      const reporter = g.json ? 'json' : opts.reporter;
      const toStdout = reporter !== 'text' && !opts.output;
      const say = (line: string) => (toStdout ? io.err(line) : io.out(line));
      for (const e of loadErrors) io.err(`${pc.red('import error')} ${e}`);
      const report = await runTests(project, dags, loadErrors, opts, say, io);
      const written = await writeReports(project, report);
      say(summaryLine(report));
      say(pc.dim(`reports: ${written.map((f) => relative(project.cwd, f) || f).join(', ')}`));
      if (reporter !== 'text') {
        const text = reporter === 'junit' ? reportJunit(report) : reporter === 'json' ? reportJson(report) : reportMarkdown(report);
        if (opts.output) {
          const file = resolve(project.cwd, opts.output);
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, text);
          say(pc.dim(`${reporter} report: ${opts.output}`));
        } else io.out(text.trimEnd());
      }
      if (!report.ok) state.exitCode = 1;
    });
}

async function runTests(project: Project, dags: Dag[], loadErrors: string[], opts: TestOptions, say: (l: string) => void, io: Io): Promise<TestReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const results: DagVerification[] = [];
  const windows = new Map(dags.map((d) => [d.id, windowOf(project, d, opts.window)]));
  const runnable = dags.filter((d) => windows.get(d.id)!.length > 0);
  for (const d of dags.filter((x) => !runnable.includes(x))) say(pc.dim(`${d.id}: skipped (no interval in the window: ${isTimeBased(d.options.schedule) ? 'window before startDate' : `schedule ${describeSchedule(d.options.schedule)}`})`));
  if (runnable.length > 0) {
    if (!opts.window && !project.config.now) say(pc.dim('no `now` in dagbox.config.ts: each window ends at the real time (set `now` to test against your fixtures\' dates)'));
    const session = await project.startSession(opts.services, (l) => io.err(pc.dim(l)));
    try {
      if (!session.services) throw new UserError('dagbox test needs the services (MySQL, Postgres, S3) to verify DAGs; run it without --services none', 2);
      const fixtures = await session.snapshot('dgbx-test-fixtures');
      try {
        for (const [i, dag] of runnable.entries()) {
          const intervals = windows.get(dag.id)!;
          const env = await project.env({ clockStart: intervals[0]!.end, record: false });
          const checks: CheckId[] | undefined = opts.faults ? undefined : ['runs', 'idempotency', 'backfill-order', 'concurrency', 'replay', 'write-interval', 'data-checks'];
          const result = await verifyDag(session, dag, env, {
            intervals,
            fixtures,
            restoreFirst: i > 0,
            faults: opts.faults,
            ...(checks ? { checks } : {}),
            settings: project.config.verify,
          });
          results.push(result);
          for (const line of formatVerification(result, { color: pc.isColorSupported })) say(line);
        }
      } finally {
        await session.dropSnapshot(fixtures);
      }
    } finally {
      await session.stop();
    }
  }
  const ms = performance.now() - t0;
  return { startedAt, ms, ok: loadErrors.length === 0 && results.every((r) => r.ok), dags: results, loadErrors };
}

/** The window of one DAG: `--window START..END`, else the last `window` intervals before `now` (config). */
export function windowOf(project: Project, dag: Dag, range: string | undefined): DataInterval[] {
  const spec = scheduleSpecOf(dag);
  if (!isTimeBased(spec.schedule)) return [];
  if (range) {
    const m = /^(.+?)\.\.(.+)$/.exec(range);
    if (!m) throw new UserError(`--window "${range}" is not a range: write START..END, e.g. 2021-02-05..2021-02-08 (END excluded)`, 2);
    const start = cliDate(m[1]!, dag, '--window START');
    const end = cliDate(m[2]!, dag, '--window END');
    if (end <= start) throw new UserError(`--window ${range}: END must be after START`, 2);
    return backfillIntervals(spec, start, end, { endExclusive: true, withinDagDates: true });
  }
  const now = project.config.now ? parseDate(project.config.now, spec.timezone) : new Date();
  return dueIntervals({ ...spec, catchup: true }, now, { limit: project.config.window ?? DEFAULT_TEST_WINDOW });
}

async function writeReports(project: Project, report: TestReport): Promise<string[]> {
  const dir = join(project.stateDir, 'reports');
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'test.json'), join(dir, 'test.md')];
  await writeFile(files[0]!, reportJson(report));
  await writeFile(files[1]!, reportMarkdown(report));
  return files;
}

function summaryLine(report: TestReport): string {
  const checks = report.dags.flatMap((d) => d.checks);
  const failedDags = report.dags.filter((d) => d.verdict === 'fail').map((d) => d.dagId);
  const incomplete = report.dags.filter((d) => d.verdict === 'incomplete').map((d) => d.dagId);
  const text =
    `${report.dags.length} DAG(s), ${checks.length} checks: ${statusCounts(checks)}` +
    (report.loadErrors.length > 0 ? `; ${report.loadErrors.length} DAG file(s) failed to load` : '') +
    ` in ${ms(report.ms)}` +
    (failedDags.length > 0 ? ` (failed: ${failedDags.join(', ')})` : '') +
    (incomplete.length > 0 ? ` (not green, checks did not run: ${incomplete.join(', ')})` : '');
  return report.ok ? pc.green(text) : pc.red(text);
}
