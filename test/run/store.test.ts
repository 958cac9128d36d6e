import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore, runDagRun, runIntervals } from '../../src/run/index.ts';
import { dag, day, days, testEnv } from './helpers.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dagbox-store-'));
  dirs.push(dir);
  return dir;
}
/** The pid of a process that has exited (its pid is free, so it reads as dead). */
async function pidOfExitedProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('RunStore', () => {
  it('records every run with its task instances and reads them back with dates', async () => {
    const dir = await tempDir();
    const store = await RunStore.open(dir);
    const d = dag('hist');
    d.task('a', (ctx) => ctx.log.info(`hello ${ctx.ds}`));
    d.task('b', () => {
      throw new Error('bad');
    });
    await runIntervals(d, days('2021-02-05', 3), testEnv({ store }));
    const runs = await store.runs('hist');
    expect(runs.map((r) => [r.runId, r.state])).toEqual([
      ['backfill__2021-02-05T00:00:00+00:00', 'failed'],
      ['backfill__2021-02-06T00:00:00+00:00', 'failed'],
      ['backfill__2021-02-07T00:00:00+00:00', 'failed'],
    ]);
    const [first] = runs;
    expect(first!.interval.start).toEqual(new Date('2021-02-05T00:00:00Z'));
    expect(first!.startedAt).toBeInstanceOf(Date);
    expect(first!.tasks[0]).toMatchObject({ taskId: 'a', state: 'success', tryNumber: 1 });
    expect(first!.tasks[0]!.startedAt).toBeInstanceOf(Date);
    expect(first!.tasks[0]!.log[0]).toMatch(/INFO - hello 2021-02-05/);
    expect(first!.tasks[1]).toMatchObject({ state: 'failed', error: 'bad' });
    expect((await store.lastRun('hist'))!.runId).toBe('backfill__2021-02-07T00:00:00+00:00');
    expect(await store.run('hist', 'backfill__2021-02-06T00:00:00+00:00')).toMatchObject({ state: 'failed' });
    expect(await store.runs('unknown')).toEqual([]);
    expect(await store.dagIds()).toEqual(['hist']);
  });

  it('writes atomically: no temporary files stay, a torn temporary file is ignored, no marker stays after the run', async () => {
    const dir = await tempDir();
    const store = await RunStore.open(dir);
    const d = dag('atomic');
    d.task('a', () => {});
    await runDagRun(d, day('2021-02-05'), testEnv({ store }));
    const runDir = join(dir, 'runs', 'atomic');
    expect(await readdir(runDir)).toEqual(['manual__2021-02-05T00_00_00+00_00.json']);
    expect(await readdir(join(dir, 'running'))).toEqual([]);
    await writeFile(join(runDir, 'manual__2021-02-06T00_00_00+00_00.json.999.1.tmp'), '{"dagId": "atom');
    expect((await store.runs('atomic')).map((r) => r.runId)).toEqual(['manual__2021-02-05T00:00:00+00:00']);
  });

  it('marks a run as running while it runs, with the pid', async () => {
    const dir = await tempDir();
    const store = await RunStore.open(dir);
    const d = dag('live');
    let during: unknown;
    d.task('a', async () => {
      during = await store.run('live', 'manual__2021-02-05T00:00:00+00:00');
    });
    await runDagRun(d, day('2021-02-05'), testEnv({ store }));
    expect(during).toMatchObject({ state: 'running', pid: process.pid });
    expect((await store.run('live', 'manual__2021-02-05T00:00:00+00:00'))!.state).toBe('success');
  });

  it('marks a run left running by a SIGKILLed process as interrupted when opened next, and leaves live ones alone', async () => {
    const dir = await tempDir();
    const fixture = fileURLToPath(new URL('./fixtures/run-and-hang.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('running') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const marker = await readdir(join(dir, 'running'));
    expect(marker).toHaveLength(1);
    // While the child lives, opening the store leaves its run alone.
    expect((await RunStore.open(dir)).recovered).toEqual([]);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    const store = await RunStore.open(dir);
    expect(store.recovered.map((r) => [r.runId, r.state])).toEqual([['manual__2021-02-05T00:00:00+00:00', 'interrupted']]);
    const [run] = await store.runs('killed');
    expect(run!.state).toBe('interrupted');
    expect(run!.error).toMatch(new RegExp(`the process running it \\(pid ${child.pid}\\) ended before the run finished`));
    expect(await readdir(join(dir, 'running'))).toEqual([]);
    expect(JSON.parse(await readFile(join(dir, 'runs', 'killed', 'manual__2021-02-05T00_00_00+00_00.json'), 'utf8')).pid).toBeUndefined();
    // Opening again finds nothing more to recover.
    expect((await RunStore.open(dir)).recovered).toEqual([]);
  });

  it('clears a dead process\'s marker without marking the run interrupted when the run file was written after it', async () => {
    const dir = await tempDir();
    const deadPid = await pidOfExitedProcess();
    const store = await RunStore.open(dir);
    const d = dag('ended');
    d.task('a', () => {});
    const run = await runDagRun(d, day('2021-02-05'), testEnv({ store }));
    // As if the process died between writing the run file and removing the marker, the marker being older.
    const marker = join(dir, 'running', 'ended~manual__2021-02-05T00_00_00+00_00.json');
    await writeFile(marker, JSON.stringify({ pid: deadPid, run: { ...run, state: 'running' } }));
    const past = new Date(Date.now() - 60_000);
    await utimes(marker, past, past);
    const reopened = await RunStore.open(dir);
    expect(reopened.recovered).toEqual([]);
    expect((await reopened.run('ended', run.runId))!.state).toBe('success');
    expect(await readdir(join(dir, 'running'))).toEqual([]);
  });

  it('lists a running run of a live process beside finished ones, the running one winning for the same run id', async () => {
    const dir = await tempDir();
    const store = await RunStore.open(dir);
    const d = dag('mixed');
    let during: string[] = [];
    d.task('a', async (ctx) => {
      if (ctx.ds === '2021-02-06') during = (await store.runs('mixed')).map((r) => `${r.runId} ${r.state}`);
    });
    await runDagRun(d, day('2021-02-05'), testEnv({ store }));
    await runDagRun(d, day('2021-02-06'), testEnv({ store }));
    expect(during).toEqual(['manual__2021-02-05T00:00:00+00:00 success', 'manual__2021-02-06T00:00:00+00:00 running']);
  });
});
