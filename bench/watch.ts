/**
 * bench/watch: how fast `dagbox dev --watch` answers a save, and whether its memory stays flat.
 *
 * - save -> reloaded (p50, p95) and save -> re-run finished (p50) over N edits of a DAG
 *   (default name_gender), against a cold `dagbox dags test` process for the same DAG (the baseline);
 * - RSS of the dev process after M reloads of a DAG that is loaded but not run, against its RSS at start.
 *
 * `npm run bench -- watch [--dag ID] [--edits 50] [--reloads 500] [--json]`
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { figure, numberFlag, parseArgs, report } from './lib.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'bin/dagbox.js');

export async function main(args: string[]): Promise<number> {
  const { flags } = parseArgs(args);
  const dagId = typeof flags.get('dag') === 'string' ? (flags.get('dag') as string) : 'name_gender';
  const edits = numberFlag(flags, 'edits', 50);
  const reloads = numberFlag(flags, 'reloads', 500);
  const project = copyProject();
  try {
    const dagFile = findDagFile(project, dagId);
    const baselineMs = await coldDagsTest(project, dagId);
    const dev = startDev(project, dagId);
    try {
      await dev.waitFor(/watching/, 0, 60_000);
      const reloaded: number[] = [];
      const finished: number[] = [];
      for (let i = 0; i < edits; i++) {
        const mark = dev.mark();
        const t0 = performance.now();
        appendFileSync(dagFile, `// edit ${i}\n`);
        await dev.waitFor(new RegExp(`→ ${dagId} reloaded in`), mark);
        reloaded.push(performance.now() - t0);
        await dev.waitFor(/saved → result in/, mark);
        finished.push(performance.now() - t0);
      }
      const idle = join(project, 'dags/bench_idle.ts');
      writeFileSync(idle, idleDag(0));
      await dev.waitFor(/bench_idle reloaded/, 0);
      const rssStart = rssMb(dev.pid);
      for (let i = 1; i <= reloads; i++) {
        const mark = dev.mark();
        writeFileSync(idle, idleDag(i));
        await dev.waitFor(/bench_idle reloaded/, mark);
      }
      const rssEnd = rssMb(dev.pid);
      return report(
        {
          name: 'watch',
          figures: [
            figure({ figure: `save -> reloaded p50 (${dagId})`, value: pct(reloaded, 50), unit: 'ms', baseline: baselineMs, target: { below: 150 } }),
            figure({ figure: `save -> reloaded p95 (${dagId})`, value: pct(reloaded, 95), unit: 'ms', baseline: baselineMs, target: { below: 300 } }),
            figure({ figure: `save -> re-run finished p50 (${dagId})`, value: pct(finished, 50), unit: 'ms', baseline: baselineMs, target: { below: 1000 } }),
            figure({ figure: `RSS growth after ${reloads} reloads`, value: rssEnd - rssStart, unit: 'MB', baseline: rssStart, target: { below: 50 } }),
          ],
        },
        args,
        [`baseline: a cold \`dagbox dags test ${dagId}\` process, ${Math.round(baselineMs)} ms; RSS ${rssStart.toFixed(0)} MB at start, ${rssEnd.toFixed(0)} MB after ${reloads} reloads`],
      );
    } finally {
      await dev.stop();
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** A temp copy of dags/ and fixtures/ whose DAGs import this checkout's dagbox by URL. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dagbox-bench-watch-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  for (const sub of ['dags', 'fixtures']) if (existsSync(join(root, sub))) cpSync(join(root, sub), join(dir, sub), { recursive: true });
  const url = pathToFileURL(join(root, 'src/index.ts')).href;
  for (const entry of readdirSync(join(dir, 'dags'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll("from 'dagbox'", `from '${url}'`));
  }
  return dir;
}

function findDagFile(project: string, dagId: string): string {
  for (const entry of readdirSync(join(project, 'dags'), { withFileTypes: true })) {
    const file = join(project, 'dags', entry.name);
    if (entry.isFile() && readFileSync(file, 'utf8').includes(`id: '${dagId}'`)) return file;
  }
  throw new Error(`no DAG file in dags/ defines id '${dagId}'; pass --dag ID`);
}

function idleDag(n: number): string {
  const url = pathToFileURL(join(root, 'src/index.ts')).href;
  return `import { Dag } from '${url}';\nconst dag = new Dag({ id: 'bench_idle', schedule: '@daily', startDate: '2021-02-01' });\ndag.task('t', () => ${n});\nexport default dag;\n`;
}

/** Wall time of one cold CLI process that runs the DAG once. */
function coldDagsTest(cwd: string, dagId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'dags', 'test', dagId, '2021-02-05'], { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(performance.now() - t0));
  });
}

function startDev(cwd: string, dagId: string) {
  const child = spawn(process.execPath, [cli, 'dev', '--watch', '--dag', dagId, '--now', '2021-02-10'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  const waiters: { re: RegExp; from: number; resolve(): void }[] = [];
  const onData = (d: Buffer) => {
    output += d.toString();
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.re.test(output.slice(waiters[i]!.from))) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    pid: child.pid!,
    mark: () => output.length,
    waitFor(re: RegExp, from: number, timeoutMs = 20_000): Promise<void> {
      if (re.test(output.slice(from))) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`dev did not print ${re} within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
        waiters.push({ re, from, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
