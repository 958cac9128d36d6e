import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { repoRoot, tempProject } from '../helpers/project.ts';

// Ctrl-C / SIGTERM sent to a real `dagbox dags backfill` while a chosen interval's task is running.
// Regression (issue 15): the services were stopped while the loop went on, so the run in flight and
// every later interval were recorded failed ("the database system is shutting down"), a
// running/*.tmp stayed, and the next backfill skipped them all as "already ran".

const services = process.env.DAGBOX_TEST_SERVICES ?? 'local';

/** A daily DAG whose `load` task, on the interval held by a `hold-<ds>` file, says so and keeps querying Postgres until killed. */
const DAG = `
import { existsSync, writeFileSync } from 'node:fs';
import { Dag } from 'DAGBOX';
const here = new URL('..', import.meta.url);
const dag = new Dag({ id: 'held', schedule: '@daily', startDate: '2021-02-01', catchup: true });
const extract = dag.task('extract', async (ctx) => {
  await ctx.postgres().query('INSERT INTO public.seen (ds, task) VALUES ($1, $2)', [ctx.ds, 'extract']);
});
const load = dag.task('load', async (ctx) => {
  if (existsSync(new URL('hold-' + ctx.ds, here))) {
    writeFileSync(new URL('reached-' + ctx.ds, here), String(process.pid));
    for (;;) {
      await ctx.postgres().query('SELECT 1');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await ctx.postgres().query('INSERT INTO public.seen (ds, task) VALUES ($1, $2)', [ctx.ds, 'load']);
});
extract.to(load);
export default dag;
`;

const project = tempProject({
  'dags/held.ts': DAG,
  'fixtures/postgres/01-seen.sql': 'CREATE TABLE public.seen (ds text, task text);\n',
  'hold-2021-02-03': '',
});
afterAll(() => project.remove());

interface StoredRun {
  runId: string;
  state: string;
  error?: string;
  interval: { start: string };
}

function storedRuns(): StoredRun[] {
  const dir = join(project.dir, '.dagbox/runs/held');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as StoredRun)
    .sort((a, b) => a.interval.start.localeCompare(b.interval.start));
}

/** Start a backfill, wait until the held interval's task runs, send `signal`, and resolve with how it ended. */
async function backfillStoppedAt(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dagbox.js'), 'dags', 'backfill', 'held', '-s', '2021-02-01', '-e', '2021-02-05', '--services', services], {
    cwd: project.dir,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  const reached = join(project.dir, 'reached-2021-02-03');
  const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
  try {
    while (!existsSync(reached)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dagbox ended before the held task ran:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill(signal);
    return { ...(await exited), stderr };
  } finally {
    clearTimeout(guard);
  }
}

describe('a stop signal during dags backfill', () => {
  it('ends the loop first: only the run in flight is recorded interrupted, naming its task, and later intervals get no run', async () => {
    const ended = await backfillStoppedAt('SIGTERM');
    expect(ended.signal, ended.stderr).toBe('SIGTERM');
    expect(ended.stderr).toMatch(/interrupted by SIGTERM: 1 run\(s\) recorded interrupted, 2 interval\(s\) not started and not recorded/);
    const runs = storedRuns();
    expect(runs.map((r) => [r.interval.start.slice(0, 10), r.state])).toEqual([
      ['2021-02-01', 'success'],
      ['2021-02-02', 'success'],
      ['2021-02-03', 'interrupted'],
    ]);
    expect(runs[2]!.error).toMatch(/^stopped by SIGTERM while task\(s\) "load" was running;/);
    expect(readdirSync(join(project.dir, '.dagbox/running'))).toEqual([]);
    // The services were stopped and their ownership records removed.
    expect(readdirSync(join(project.dir, '.dagbox/services')).filter((n) => n.endsWith('.json'))).toEqual([]);
  });

  it('lets the next backfill resume at the interrupted interval', async () => {
    rmSync(join(project.dir, 'hold-2021-02-03'));
    const next = await dagbox(['dags', 'backfill', 'held', '-s', '2021-02-01', '-e', '2021-02-05', '--services', services], { cwd: project.dir });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/held: 3 interval\(s\) with logical date in \[2021-02-01, 2021-02-05\] \(END included\); 2 skipped because they already ran/);
    expect(next.stdout).toContain('2021-02-03, 2021-02-04, 2021-02-05');
    const latest = new Map(storedRuns().map((r) => [r.interval.start.slice(0, 10), r.state]));
    expect([...latest.values()]).toEqual(['success', 'success', 'success', 'success', 'success']);
  });

  it('on Ctrl-C (SIGINT) likewise records the run in flight interrupted and ends by SIGINT', async () => {
    project.write('hold-2021-02-03', '');
    rmSync(join(project.dir, 'reached-2021-02-03'));
    rmSync(join(project.dir, '.dagbox/runs'), { recursive: true });
    const ended = await backfillStoppedAt('SIGINT');
    expect(ended.signal, ended.stderr).toBe('SIGINT');
    expect(storedRuns().map((r) => r.state)).toEqual(['success', 'success', 'interrupted']);
    expect(storedRuns()[2]!.error).toMatch(/^stopped by SIGINT while task\(s\) "load" was running/);
    expect(readdirSync(join(project.dir, '.dagbox/running'))).toEqual([]);
  });
});
