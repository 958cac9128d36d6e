/**
 * src/dev/: `dagbox dev`. dev-session.ts is the dev session (the watch loop on a session: load,
 * run, verify, re-run on save); dag-host.ts and dag-worker.ts import DAG files fresh in a worker
 * thread (worker.mjs, fresh-hooks.mjs); graph.ts is the import graph of DAG files; watcher.ts
 * normalises file events.
 *
 * May import: app/ and the folders below it; never cli/ (the layers are checked by
 * .dependency-cruiser.cjs).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, relative } from 'node:path';
import pc from 'picocolors';
import { loadAndReport, openProject, type Project } from '../app/project.ts';
import { failureDetails, runLine, shortDate } from '../app/format.ts';
import { ms } from '../shared/ms.ts';
import { dagFiles, formatLoadError, loadDagFile } from '../dag/loader.ts';
import type { DataInterval } from '../dag/types.ts';
import type { DagRunResult } from '../run/index.ts';
import { dueIntervals, followingInterval, parseDate } from '../schedule/index.ts';
import type { Snapshot } from '../snapshot/index.ts';
import type { ServicesFlag, Session } from '../app/session.ts';
import { checkIdempotency, formatCheckResult, formatVerification, verifyDag, type CheckId } from '../verify/index.ts';
import { startWebhookSink, type WebhookMessage, type WebhookSink } from '../alerts/index.ts';
import { codeFrame } from './code-frame.ts';
import { DagHost } from './dag-host.ts';
import { dagChanges } from './dag-summary.ts';
import { ModuleGraph } from './graph.ts';
import type { DagSummary, FileLoad, RunSpec } from './protocol.ts';
import { createWatcher, noopWatcher, type FileEvent, type Watcher } from './watcher.ts';

/** Quiet time after a save before it is handled: an editor's burst of saves is one change. */
const SETTLE_MS = 100;

/** Options of `dagbox dev`. */
export interface DevOptions {
  cwd: string;
  dags?: string;
  /** `--state-dir` (default: DAGBOX_STATE_DIR, else the config's `stateDir`, else .dagbox). */
  stateDir?: string;
  watch: boolean;
  /** Only these DAGs (default: all). */
  dagIds: string[];
  /** Simulated now (default: config `now`, else the real time). */
  now?: string;
  services?: ServicesFlag;
  /** Check the idempotency of each DAG's latest interval after its runs. */
  verify: boolean;
  /** How many of the latest due intervals to run per DAG (default: config `window`, else 3). */
  window?: number;
}

/** Output of the dev loop. */
export interface DevIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * `dagbox dev`: services started once and kept, DAGs loaded in a worker, their latest intervals
 * run at a simulated time, and — with watch — every save answered by reloading exactly the DAGs
 * it reaches, restoring the services to the snapshot before those DAGs' runs, and running them
 * again. The loop never dies on a bad file: the error is shown and the last good DAG stays.
 */
export class DevSession {
  private project!: Project;
  private session!: Session;
  private readonly host = new DagHost();
  private readonly graph = new ModuleGraph();
  private readonly files = new Map<string, FileLoad>();
  /** State of the services before each DAG's runs, taken on its first run. */
  private readonly before = new Map<string, Snapshot | null>();
  /** State before fixtures loaded, to reload changed fixtures into. */
  private empty: Snapshot | null = null;
  private watcher: Watcher = noopWatcher;
  private now: Date;
  private queue: Promise<void> = Promise.resolve();
  private failed = false;
  private closing: Promise<void> | undefined;
  /** Where failure alerts go in dev (the `slack_webhook` Variable unless the project sets one). */
  private sink: WebhookSink | null = null;
  /** Files saved within the last {@link SETTLE_MS}: their change is handled once they settle. */
  private readonly settling = new Map<string, { timer: NodeJS.Timeout; savedAt: number }>();
  /** Changes queued and not yet handled, by file: a further save of the file joins its change. */
  private readonly pending = new Map<string, FileEvent>();

  constructor(private readonly opts: DevOptions, private readonly io: DevIo) {
    this.now = new Date();
  }

  /** Start services, load fixtures and DAGs, run every DAG once, then watch (if asked). */
  async start(): Promise<void> {
    const t0 = performance.now();
    this.project = await openProject(this.opts.cwd, { dags: this.opts.dags, stateDir: this.opts.stateDir, load: false });
    const nowText = this.opts.now ?? this.project.config.now;
    this.now = nowText ? parseDate(nowText, 'UTC') : new Date();
    await this.openSession();
    this.sink = await startWebhookSink({ onMessage: (m) => this.onAlert(m) });
    const files = existsSync(this.project.dagsDir) ? await dagFiles(this.project.dagsDir) : [];
    await Promise.all(files.map((f) => this.graph.update(f)));
    if (this.project.configFile) await this.graph.update(this.project.configFile);
    const loads = await this.host.load(files);
    for (const load of loads) this.record(load);
    this.io.out(`${pc.bold('dagbox dev')}: ${this.dags().length} DAG(s) from ${this.rel(this.project.dagsDir)}/ ready in ${ms(performance.now() - t0)} · now = ${this.now.toISOString()}`);
    for (const load of loads) this.reportErrors(load);
    await this.runAll('start');
    if (this.opts.watch) {
      const paths = [this.project.dagsDir, this.project.fixturesDir, this.project.configFile].filter((p): p is string => p !== null && existsSync(p));
      // Files read from outside those folders are watched from the start, so no early save is missed.
      this.watcher = await createWatcher([...paths, ...this.outsideFiles()], (e) => this.onFileEvent(e));
      this.io.out(pc.dim(`watching ${paths.map((p) => this.rel(p) || '.').join(', ')} · keys: r re-run · v verify · n/p clock ±1 interval · b backfill+verify · c clear · q quit`));
    }
  }

  /** True when a DAG failed to load or run in the last pass (the exit code of a one-shot dev). */
  get hadFailures(): boolean {
    return this.failed;
  }

  /** Queue work so saves and keys are handled one at a time, in order; errors are reported, never thrown. */
  enqueue(what: string, work: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(work).catch((error: Error) => {
      this.failed = true;
      this.io.err(`${pc.red('✘')} ${what}: ${error.message}`);
    });
    return this.queue;
  }

  /**
   * chokidar event → the right handler, once per burst: saves of one file that follow each other
   * within {@link SETTLE_MS} are one change (one restore, one run), and a save while that file's
   * change waits in the queue joins it. Errors stop at this edge and the loop lives on.
   */
  onFileEvent(e: FileEvent): void {
    const savedAt = e.kind === 'unlink' ? Date.now() : mtime(e.file);
    const settling = this.settling.get(e.file);
    if (settling) clearTimeout(settling.timer);
    const first = settling?.savedAt ?? savedAt;
    const timer = setTimeout(() => {
      this.settling.delete(e.file);
      this.dispatch(e, first);
    }, SETTLE_MS);
    this.settling.set(e.file, { timer, savedAt: first });
  }

  private dispatch(e: FileEvent, savedAt: number): void {
    const queued = this.pending.has(e.file);
    this.pending.set(e.file, e);
    if (queued) return;
    void this.enqueue(`handling ${this.rel(e.file)}`, async () => {
      const latest = this.pending.get(e.file) ?? e;
      this.pending.delete(e.file);
      if (latest.file === this.project.configFile || this.readByConfig(latest.file)) return this.handleConfigChange();
      if (latest.file.startsWith(this.project.fixturesDir)) return this.handleFixtureChange(latest.file, savedAt);
      if (latest.file.startsWith(this.project.dagsDir) || this.readByDag(latest.file)) return this.handleDagFileChange(latest, savedAt);
    });
  }

  /** Whether the config imports `file` (directly or not), so a save of it is a config change. */
  private readByConfig(file: string): boolean {
    const config = this.project.configFile;
    return config !== null && file !== config && this.graph.affected(file).has(config);
  }

  /** Whether a loaded DAG file imports or reads `file` (a helper or a .sql outside dags/). */
  private readByDag(file: string): boolean {
    return [...this.graph.affected(file)].some((f) => f !== file && this.files.has(f));
  }

  /** Watch the files DAGs and the config read from outside the watched folders. */
  private watchOutside(): void {
    const outside = this.outsideFiles();
    if (outside.length > 0) this.watcher.add(outside);
  }

  private outsideFiles(): string[] {
    const inside = [this.project.dagsDir, this.project.fixturesDir].map((d) => `${d}/`);
    return this.graph.files().filter((f) => f !== this.project.configFile && !inside.some((d) => f.startsWith(d)) && existsSync(f) && !f.includes('/node_modules/'));
  }

  /** A save under dags/: reload exactly the DAG files it reaches, then re-run their DAGs. */
  private async handleDagFileChange(e: FileEvent, savedAt: number): Promise<void> {
    const isDagFile = (await dagFiles(this.project.dagsDir).catch(() => [] as string[])).includes(e.file);
    if (e.kind === 'unlink') {
      this.graph.remove(e.file);
      const gone = this.files.get(e.file);
      if (gone) {
        this.files.delete(e.file);
        await this.host.drop([e.file]);
        for (const d of gone.dags) this.before.delete(d.id);
        this.io.out(`${this.rel(e.file)} deleted: dropped ${gone.dags.map((d) => d.id).join(', ') || 'no DAG'}`);
        return;
      }
    }
    await this.graph.update(e.file);
    this.watchOutside();
    const affected = [...this.graph.affected(e.file)].filter((f) => this.files.has(f) || (f === e.file && isDagFile));
    if (affected.length === 0) return;
    await this.handleDagUpdate(affected, this.rel(e.file), savedAt);
  }

  /** Reload DAG files, report what changed, and re-run the DAGs that loaded. */
  private async handleDagUpdate(files: string[], cause: string, savedAt: number): Promise<void> {
    const before = new Map(this.dags().map((d) => [d.id, d]));
    const t0 = performance.now();
    const loads = await this.host.load(files);
    const reloadMs = performance.now() - t0;
    for (const load of loads) {
      this.record(load);
      this.reportErrors(load);
      if (load.errors.length > 0) continue;
      for (const dag of load.dags) {
        const changes = dagChanges(before.get(dag.id), dag);
        const skip = this.selected(dag.id) ? '' : pc.dim(' — not run: not among --dag');
        this.io.out(`${pc.cyan(cause)} → ${pc.bold(dag.id)} reloaded in ${ms(reloadMs)}${changes.length > 0 ? ` (${changes.join(' ')})` : ' (no task changed)'}${skip}`);
        if (this.selected(dag.id)) await this.runDag(dag);
      }
    }
    this.io.out(pc.dim(`saved → result in ${ms(Date.now() - savedAt)}`));
  }

  /** A fixture changed: reload all fixtures from the pre-fixture state and re-run the DAGs that read them. */
  private async handleFixtureChange(file: string, savedAt: number): Promise<void> {
    if (!this.session.services) return;
    await this.session.restore(this.empty);
    await this.dropSnapshots();
    await this.session.loadFixtures();
    const table = fixtureTable(file);
    const readers = this.dags().filter((d) => table === null || (d.options.inputs ?? []).length === 0 || (d.options.inputs ?? []).some((i) => i.includes(table)));
    this.io.out(`${pc.cyan(this.rel(file))} → fixtures reloaded; re-running ${readers.map((d) => d.id).join(', ') || 'nothing'}`);
    for (const dag of readers) if (this.selected(dag.id)) await this.runDag(dag);
    this.io.out(pc.dim(`saved → result in ${ms(Date.now() - savedAt)}`));
  }

  /**
   * The config changed: start over with the new config. The services are kept (restored to empty
   * and given the fixtures again) when their settings did not change, else restarted with it.
   */
  private async handleConfigChange(): Promise<void> {
    const previous = this.project;
    this.project = await openProject(this.opts.cwd, { dags: this.opts.dags, stateDir: this.opts.stateDir, load: false });
    if (this.project.configFile) await this.graph.update(this.project.configFile);
    this.watchOutside();
    const keep = JSON.stringify(previous.config.services ?? {}) === JSON.stringify(this.project.config.services ?? {}) && previous.fixturesDir === this.project.fixturesDir;
    this.io.out(pc.cyan(`dagbox.config.ts changed: restarting the session${keep ? ' (services kept: their settings did not change)' : ' with new services'}`));
    await this.dropSnapshots();
    if (keep) {
      for (const c of this.session.connections) this.project.connections.add(c);
      await this.session.restore(this.empty);
      await loadAndReport(this.session, (line) => this.io.err(pc.dim(line)));
    } else {
      await this.session.dropSnapshot(this.empty);
      await this.session.stop();
      await this.openSession();
    }
    const nowText = this.opts.now ?? this.project.config.now;
    if (nowText) this.now = parseDate(nowText, 'UTC');
    const files = [...this.files.keys()];
    this.files.clear();
    for (const load of await this.host.load(files)) {
      this.record(load);
      this.reportErrors(load);
    }
    await this.runAll('config');
  }

  /** Start services, snapshot them empty (to reload fixtures into later), then load fixtures. */
  private async openSession(): Promise<void> {
    const log = (line: string) => this.io.err(pc.dim(line));
    this.session = await this.project.startSession(this.opts.services, log, { fixtures: false });
    this.empty = await this.session.snapshot('dev_empty');
    await loadAndReport(this.session, log);
  }

  /** Run every selected DAG's window, in load order, each from the services' state before it. */
  async runAll(reason: string): Promise<void> {
    this.failed = [...this.files.values()].some((f) => f.errors.length > 0);
    for (const dag of this.dags()) if (this.selected(dag.id)) await this.runDag(dag);
    if (reason !== 'start' && this.dags().length === 0) this.io.out('no DAG to run');
  }

  /** Restore the state before this DAG's runs, run its due intervals, and check the latest one's idempotency. */
  private async runDag(dag: DagSummary, verify = this.opts.verify): Promise<void> {
    const intervals = dueIntervals(dag.spec, this.now, { limit: this.window() });
    if (intervals.length === 0) {
      this.io.out(`${pc.bold(dag.id)}: no interval due at ${this.now.toISOString()}`);
      return;
    }
    if (this.before.has(dag.id)) await this.session.restore(this.before.get(dag.id)!);
    else this.before.set(dag.id, await this.session.snapshot(`dev_${dag.id}`));
    const runs = await this.host.run(dag.id, intervals, 'scheduled', this.runSpec());
    this.io.out(`${pc.bold(dag.id)}: ${runs.length} interval(s) ${shortDate(intervals[0]!.start)} … ${shortDate(intervals[intervals.length - 1]!.start)}`);
    for (const run of runs) {
      this.io.out(`  ${runLine(run)}`);
      for (const l of failureDetails(run)) this.io.err(`  ${l}`);
    }
    if (runs.some((r) => r.state !== 'success')) {
      this.failed = true;
      return;
    }
    if (verify && this.session.services) await this.checkLatest(dag, intervals[intervals.length - 1]!, runs[runs.length - 2] ?? null);
  }

  /** Check 1 on the interval that just ran: run it once more in the worker and compare the states. */
  private async checkLatest(dag: DagSummary, latest: DataInterval, previous: DagRunResult | null): Promise<void> {
    const target = {
      dagId: dag.id,
      verify: dag.options.verify,
      run: async (interval: DataInterval) => (await this.host.run(dag.id, [interval], 'manual', this.runSpec()))[0]!,
    };
    const result = await checkIdempotency(this.session, target, latest, null, { alreadyRan: true, previous, settings: this.project.config.verify });
    if (result.status === 'fail') this.failed = true;
    for (const l of formatCheckResult(result)) this.io.out(`  ${l}`);
  }

  /**
   * Verify each selected DAG over its window, as `dags backfill --verify` does (checks 1-3 and the
   * data checks), from the state before its runs. verifyDag needs the DAG object, so it is imported
   * here in the main thread: a key press is rare enough for that import to stay.
   */
  private async verifyWindow(checks: CheckId[]): Promise<void> {
    if (!this.session.services) {
      this.io.out('verification needs services; this session runs with --services none');
      return;
    }
    for (const summary of this.dags().filter((d) => this.selected(d.id))) {
      const { dags } = await loadDagFile(summary.file);
      const dag = dags.find((d) => d.dag.id === summary.id)?.dag;
      const intervals = dueIntervals(summary.spec, this.now, { limit: this.window() });
      if (!dag || intervals.length === 0) continue;
      const before = this.before.get(summary.id) ?? null;
      const env = await this.project.env({ clockStart: this.now, record: false });
      const report = await verifyDag(this.session, dag, env, {
        intervals,
        fixtures: before,
        restoreFirst: true,
        checks,
        settings: this.project.config.verify,
      });
      if (!report.ok) this.failed = true;
      for (const l of formatVerification(report)) this.io.out(l);
      // Put the DAG's window back as a plain run left it, so the dev view is what it was.
      await this.runDag(summary, false);
    }
  }

  /** Keys on a terminal. */
  async onKey(key: string): Promise<void> {
    switch (key) {
      case 'r':
        return this.enqueue('re-run', () => this.runAll('key'));
      case 'n':
      case 'p':
        return this.enqueue('moving the clock', async () => {
          this.now = this.step(key === 'n' ? 1 : -1);
          this.io.out(`now = ${this.now.toISOString()}`);
          await this.runAll('clock');
        });
      case 'v':
        return this.enqueue('verifying the window', () => this.verifyWindow(['runs', 'idempotency', 'data-checks']));
      case 'b':
        return this.enqueue('backfill with --verify', () => this.verifyWindow(['runs', 'idempotency', 'backfill-order', 'replay', 'data-checks']));
      case 'c':
        this.io.out('\u001b[2J\u001b[H');
        return;
    }
  }

  /** Move the simulated clock one interval: to the nearest interval end after (or before) now across the DAGs. */
  private step(direction: 1 | -1): Date {
    const candidates: number[] = [];
    for (const dag of this.dags().filter((d) => this.selected(d.id))) {
      const due = dueIntervals(dag.spec, this.now, { limit: 1 });
      const last = due[due.length - 1];
      if (direction === -1 && last) candidates.push(last.start.getTime());
      if (direction === 1) {
        const next = last ? followingInterval(dag.spec, last) : null;
        if (next) candidates.push(next.end.getTime());
      }
    }
    if (candidates.length === 0) return this.now;
    return new Date(direction === 1 ? Math.min(...candidates) : Math.max(...candidates));
  }

  /** Stop watching, the worker and the services; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const { timer } of this.settling.values()) clearTimeout(timer);
      this.settling.clear();
      await this.queue.catch(() => {});
      await this.watcher.close();
      await this.dropSnapshots().catch(() => {});
      await this.session?.dropSnapshot(this.empty).catch(() => {});
      await this.host.close();
      await this.sink?.close();
      await this.session?.stop();
    })();
    return this.closing;
  }

  private async dropSnapshots(): Promise<void> {
    for (const snap of this.before.values()) await this.session.dropSnapshot(snap);
    this.before.clear();
  }

  /** An alert a DAG posted to the local webhook: shown, as Slack would show it. */
  private onAlert(message: WebhookMessage): void {
    const text = typeof message.body === 'object' && message.body !== null && 'text' in message.body ? String(message.body.text) : JSON.stringify(message.body);
    this.io.out(pc.yellow(`  alert posted to the webhook: ${text.split('\n').join(' · ')}`));
  }

  private runSpec(): RunSpec {
    return {
      variables: { ...(this.sink ? { slack_webhook: this.sink.url } : {}), ...this.project.variables },
      connections: this.project.connections.list(),
      secrets: this.session.secrets,
      bucket: this.session.services?.s3.database ?? '',
      clockStart: this.now,
      stateDir: this.project.stateDir,
      fixturesDir: this.project.fixturesDir,
    };
  }

  /** The worker's answer is the file's state: on an error its DAGs are the last good ones. */
  private record(load: FileLoad): void {
    this.files.set(load.file, load);
  }

  private reportErrors(load: FileLoad): void {
    if (load.errors.length === 0) return;
    this.failed = true;
    for (const e of load.errors) {
      this.io.err(`${pc.red('✘')} ${formatLoadError(e)}`);
      for (const l of codeFrame(e.file, e.line, e.column)) this.io.err(pc.dim(`    ${l}`));
    }
    const kept = this.files.get(load.file)?.dags ?? [];
    if (kept.length > 0) this.io.err(pc.yellow(`  keeping the last good version of ${kept.map((d) => d.id).join(', ')}`));
  }

  private dags(): DagSummary[] {
    return [...this.files.values()].flatMap((f) => f.dags);
  }

  private selected(id: string): boolean {
    return this.opts.dagIds.length === 0 || this.opts.dagIds.includes(id);
  }

  private window(): number {
    return this.opts.window ?? this.project.config.window ?? 3;
  }

  private rel(path: string): string {
    return relative(this.opts.cwd, path);
  }
}

/** `prod.nps` for `fixtures/mysql/prod.nps.csv`; null for SQL files, which may touch anything. */
function fixtureTable(file: string): string | null {
  const m = /^(.+)\.(csv)$/.exec(basename(file));
  return m ? m[1]! : null;
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}
