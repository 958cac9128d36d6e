import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureStateDir } from '../config/state-dir.ts';
import type { DagRunResult, TaskInstanceResult } from './types.ts';

/** A marker in `<dir>/running/`: the run as it started, and the process running it. */
interface RunningMarker {
  pid: number;
  run: DagRunResult;
}

/** How many run files are read at once (bounded, so a long history cannot exhaust file handles). */
const READ_BATCH = 64;

/**
 * The run history: every DAG run with its task instances (state, try, start, end, duration,
 * masked log) as `<dir>/runs/<dagId>/<runId>.json` (characters that are not portable in file
 * names, such as `:`, become `_`; the file holds the real run id). Files are written atomically
 * (temporary file, then rename), twice per run and never per task: when a run starts, a marker
 * `<dir>/running/<dagId>~<runId>.json` holds the running run and this process's pid; when it ends,
 * the run file is written and the marker removed. Opening the store marks runs whose process has
 * died as `interrupted`, reading only the markers, never the whole history. (A pid reused by a new
 * process keeps its dead run "running" until that process ends too.)
 *
 * ```ts
 * const store = await RunStore.open('.dagbox');
 * const run = await runDagRun(dag, interval, { ...env, store });
 * (await store.lastRun(dag.id))?.state;
 * ```
 */
export class RunStore {
  private readonly madeDirs = new Set<string>();
  private tmpCounter = 0;

  private constructor(
    /** The store's directory. */
    readonly dir: string,
    /** Runs found left `running` by a dead process and marked `interrupted` when the store was opened. */
    readonly recovered: DagRunResult[],
  ) {}

  /** Open (creating if needed) the store in `dir`, e.g. `.dagbox`, and mark interrupted runs. */
  static async open(dir: string): Promise<RunStore> {
    ensureStateDir(dir, 'runs');
    await mkdir(join(dir, 'running'), { recursive: true });
    const store = new RunStore(dir, []);
    store.recovered.push(...(await store.recoverInterrupted()));
    return store;
  }

  /**
   * Write a run. A run in state `running` is written as a running marker with this process's
   * pid; any other state is written to the history and clears the marker. The run is serialised
   * at once, so it may change while the write is under way.
   */
  async record(run: DagRunResult): Promise<void> {
    const marker = this.markerFile(run.dagId, run.runId);
    if (run.state === 'running') {
      await this.writeAtomic(marker, JSON.stringify({ pid: process.pid, run } satisfies RunningMarker));
      return;
    }
    const text = JSON.stringify(run, null, 2);
    await this.ensureDir(this.dagDir(run.dagId));
    // Run file first, marker last: a crash in between leaves a marker that recovery sees is stale.
    await this.writeAtomic(this.runFile(run.dagId, run.runId), text);
    await unlink(marker).catch(ignoreMissing);
  }

  /** Every recorded run of a DAG, running ones included, oldest logical date first (then by start). */
  async runs(dagId: string): Promise<DagRunResult[]> {
    const byId = new Map<string, DagRunResult>();
    for (const run of await this.finishedRuns(dagId)) byId.set(run.runId, run);
    for (const run of await this.runningRuns(dagId)) byId.set(run.runId, run);
    return [...byId.values()].sort(byLogicalDateThenStart);
  }

  /** One run by id (a running one first), or null. */
  async run(dagId: string, runId: string): Promise<DagRunResult | null> {
    const marker = await readMarker(this.markerFile(dagId, runId));
    return marker ? markerRun(marker) : readRunFile(this.runFile(dagId, runId));
  }

  /** The run of a DAG that started last, or null. Reads the DAG's history. */
  async lastRun(dagId: string): Promise<DagRunResult | null> {
    let last: DagRunResult | null = null;
    for (const run of await this.runs(dagId)) if (!last || run.startedAt >= last.startedAt) last = run;
    return last;
  }

  /** Ids of the DAGs with finished runs. */
  async dagIds(): Promise<string[]> {
    const entries = await readdir(join(this.dir, 'runs'), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  }

  private async finishedRuns(dagId: string): Promise<DagRunResult[]> {
    let names: string[];
    try {
      names = await readdir(this.dagDir(dagId));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const files = names.filter((n) => n.endsWith('.json')).map((n) => join(this.dagDir(dagId), n));
    const runs: DagRunResult[] = [];
    for (let i = 0; i < files.length; i += READ_BATCH) {
      const batch = await Promise.all(files.slice(i, i + READ_BATCH).map((f) => readRunFile(f)));
      for (const run of batch) if (run) runs.push(run);
    }
    return runs;
  }

  private async runningRuns(dagId: string): Promise<DagRunResult[]> {
    const prefix = `${safeName(dagId)}~`;
    const names = (await readdir(join(this.dir, 'running'))).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
    const markers = await Promise.all(names.map((n) => readMarker(join(this.dir, 'running', n))));
    return markers.flatMap((m) => (m && m.run.dagId === dagId ? [markerRun(m)] : []));
  }

  private dagDir(dagId: string): string {
    return join(this.dir, 'runs', safeName(dagId));
  }

  private runFile(dagId: string, runId: string): string {
    return join(this.dagDir(dagId), `${safeName(runId)}.json`);
  }

  private markerFile(dagId: string, runId: string): string {
    return join(this.dir, 'running', `${safeName(dagId)}~${safeName(runId)}.json`);
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  private async writeAtomic(file: string, text: string): Promise<void> {
    const tmp = `${file}.${process.pid}.${++this.tmpCounter}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  }

  /** Mark runs whose process died as interrupted, and clear their markers. */
  private async recoverInterrupted(): Promise<DagRunResult[]> {
    const dir = join(this.dir, 'running');
    const recovered: DagRunResult[] = [];
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      if (!name.endsWith('.json')) {
        if (name.endsWith('.tmp') && !isAlive(pidOfTmp(name))) await unlink(file).catch(ignoreMissing);
        continue;
      }
      const marker = await readMarker(file);
      if (marker && isAlive(marker.pid)) continue;
      const run = marker && !(await this.endedAfter(marker, file)) ? await this.markInterrupted(marker) : null;
      if (run) recovered.push(run);
      await unlink(file).catch(ignoreMissing);
    }
    return recovered;
  }

  /** Whether the run's file was written after its marker: the run ended and only the marker's removal was lost. */
  private async endedAfter(marker: RunningMarker, markerPath: string): Promise<boolean> {
    try {
      const [runStat, markerStat] = await Promise.all([stat(this.runFile(marker.run.dagId, marker.run.runId)), stat(markerPath)]);
      return runStat.mtimeMs >= markerStat.mtimeMs;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  private async markInterrupted(marker: RunningMarker): Promise<DagRunResult> {
    const interrupted: DagRunResult = {
      ...reviveRun(marker.run as unknown as Record<string, unknown>),
      state: 'interrupted',
      error:
        `the process running it (pid ${marker.pid}) ended before the run finished; ` +
        `found at ${new Date().toISOString()} and marked interrupted. Re-run the interval to complete it`,
    };
    await this.ensureDir(this.dagDir(interrupted.dagId));
    await this.writeAtomic(this.runFile(interrupted.dagId, interrupted.runId), JSON.stringify(interrupted, null, 2));
    return interrupted;
  }
}

/** A name usable as a file name on every OS: `:` and other reserved characters become `_`. */
function safeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_');
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidOfTmp(name: string): number {
  const parts = name.split('.');
  return Number(parts[parts.length - 3]);
}

async function readMarker(file: string): Promise<RunningMarker | null> {
  const marker = (await readJson(file)) as RunningMarker | null;
  return marker && typeof marker.pid === 'number' && typeof marker.run?.runId === 'string' ? marker : null;
}

/** A JSON file's content; null when the file is missing or not JSON (a write cut short). */
async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** The running run a marker holds, dates revived, with the pid of its process. */
function markerRun(marker: RunningMarker): DagRunResult {
  return Object.assign(reviveRun(marker.run as unknown as Record<string, unknown>), { pid: marker.pid });
}

/** A run file read back with its dates revived; null when missing or unreadable. */
async function readRunFile(file: string): Promise<DagRunResult | null> {
  const run = await readJson(file);
  return run && typeof run === 'object' ? reviveRun(run as Record<string, unknown>) : null;
}

function reviveRun(raw: Record<string, unknown>): DagRunResult {
  const run = raw as unknown as DagRunResult & { interval: { start: string; end: string } };
  return {
    ...run,
    interval: { start: new Date(run.interval.start), end: new Date(run.interval.end) },
    ...(run.logicalDate !== undefined ? { logicalDate: new Date(run.logicalDate) } : {}),
    startedAt: new Date(run.startedAt),
    endedAt: new Date(run.endedAt),
    tasks: run.tasks.map(reviveTask),
  };
}

function reviveTask(task: TaskInstanceResult): TaskInstanceResult {
  return {
    ...task,
    startedAt: task.startedAt ? new Date(task.startedAt) : null,
    endedAt: task.endedAt ? new Date(task.endedAt) : null,
  };
}

function byLogicalDateThenStart(a: DagRunResult, b: DagRunResult): number {
  return a.interval.start.getTime() - b.interval.start.getTime() || a.startedAt.getTime() - b.startedAt.getTime();
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function ignoreMissing(error: unknown): void {
  if (!isMissing(error)) throw error;
}
