import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { containerRuntimeAvailable, createMysqlPool, createPostgresPool, startServices, StartServicesError } from '../../src/services/index.ts';
import type { ServiceSet } from '../../src/services/index.ts';
import { isProcessAlive } from '../../src/services/processes.ts';
import { records, testContext, waitGone } from './helpers/context.ts';
import type { TestContext } from './helpers/context.ts';

const LOCAL = { mysql: 'local', postgres: 'local', s3: 'local' } as const;
const runtime = await containerRuntimeAvailable();

/** What a set owns right now, from its ownership records. */
function owned(stateDir: string): { pids: number[]; dirs: string[] } {
  const all = records(stateDir);
  return { pids: all.flatMap((r) => r.processes.map((p) => p.pid)), dirs: all.flatMap((r) => r.dirs) };
}

async function querySet(set: ServiceSet): Promise<void> {
  const pg = createPostgresPool(set.postgres);
  const my = createMysqlPool(set.mysql);
  try {
    expect((await pg.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect((await my.query('SELECT 1 AS one'))[0]).toEqual([{ one: 1 }]);
  } finally {
    await Promise.all([pg.end(), my.end()]);
  }
}

describe('startServices', () => {
  const contexts: TestContext[] = [];
  const context = () => {
    const ctx = testContext();
    contexts.push(ctx);
    return ctx;
  };
  afterEach(() => {
    for (const ctx of contexts.splice(0)) ctx.cleanup();
  });

  it.runIf(!runtime.ok)('with auto and no container runtime, picks local processes and prints each choice and its time', async () => {
    const ctx = context();
    const set = await startServices({ stateDir: ctx.stateDir, log: ctx.log, external: {} });
    try {
      expect([set.mysql.provider, set.postgres.provider, set.s3.provider]).toEqual(['local', 'local', 'local']);
      const text = ctx.lines.join('\n');
      expect(text).toMatch(/^postgres: local process \(initdb\+postgres \d+\) ready in \d+\.\d\ds at postgres:\/\/dagbox:\*\*\*@127\.0\.0\.1:\d+\/dagbox$/m);
      expect(text).toMatch(/^mysql: local process \((mariadbd|mysqld) [\d.]+\) ready in \d+\.\d\ds at mysql:\/\/dagbox:\*\*\*@127\.0\.0\.1:\d+\/dagbox$/m);
      expect(text).toMatch(/^s3: local in-process server \(s3rver\) ready in \d+\.\d\ds at http:\/\/127\.0\.0\.1:\d+$/m);
      for (const s of [set.mysql, set.postgres, set.s3]) expect(text).not.toContain(s.password);
      await querySet(set);
    } finally {
      await set.stop();
    }
  });

  it('stops everything with `await using`, leaving no process, dir or record', async () => {
    const ctx = context();
    let before: { pids: number[]; dirs: string[] };
    {
      await using set = await startServices({ stateDir: ctx.stateDir, providers: LOCAL, log: ctx.log });
      before = owned(ctx.stateDir);
      expect(before.pids).toHaveLength(2);
      expect(before.dirs).toHaveLength(3);
      expect(set.session).toMatch(/^[0-9a-f]{8}$/);
    }
    for (const pid of before.pids) expect(await waitGone(pid, 100)).toBe(true);
    for (const dir of before.dirs) expect(existsSync(dir)).toBe(false);
    expect(records(ctx.stateDir)).toEqual([]);
  });

  it('runs two sessions side by side on their own ports and dirs', async () => {
    const a = context();
    const b = context();
    const [one, two] = await Promise.all([
      startServices({ stateDir: a.stateDir, providers: LOCAL, log: a.log }),
      startServices({ stateDir: b.stateDir, providers: LOCAL, log: b.log }),
    ]);
    try {
      const ports = [one, two].flatMap((s) => [s.mysql.port, s.postgres.port, s.s3.port]);
      expect(new Set(ports).size).toBe(6);
      const dirs = [...owned(a.stateDir).dirs, ...owned(b.stateDir).dirs];
      expect(new Set(dirs).size).toBe(6);
      expect(one.postgres.password).not.toBe(two.postgres.password);
      await Promise.all([querySet(one), querySet(two)]);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });

  it('when one service fails, stops the ones that started and says which failed', async () => {
    const ctx = context();
    const error = await startServices({
      stateDir: ctx.stateDir,
      providers: { ...LOCAL, postgres: 'external' },
      external: { postgres: 'postgres://nobody:pw@127.0.0.1:1/x' },
      log: ctx.log,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartServicesError);
    expect((error as StartServicesError).failures.map((f) => f.kind)).toEqual(['postgres']);
    expect((error as Error).message).toContain('Could not start postgres; the services that did start were stopped.');
    expect((error as Error).message).toContain('postgres://nobody:***@127.0.0.1:1/x');
    expect(records(ctx.stateDir)).toEqual([]);
  });

  it('cleans up after a session killed with SIGKILL when the next session starts', async () => {
    const ctx = context();
    const { child, owned: left, exited } = await startChild(ctx.stateDir, 'wait');
    expect(left.pids).toHaveLength(2);
    expect(left.dirs).toHaveLength(3);
    child.kill('SIGKILL');
    await exited;
    // The servers die with their parent (pdeathsig); the dirs and the record stay for the next session.
    expect(left.dirs.every((d) => existsSync(d))).toBe(true);
    expect(records(ctx.stateDir)).toHaveLength(1);

    const next = await startServices({ stateDir: ctx.stateDir, providers: LOCAL, log: ctx.log });
    try {
      for (const pid of left.pids) expect(isProcessAlive(pid)).toBe(false);
      for (const dir of left.dirs) expect(existsSync(dir)).toBe(false);
      expect(records(ctx.stateDir).map((r) => r.session)).toEqual([next.session]);
      expect(ctx.lines.join('\n')).toMatch(/cleaned up after session [0-9a-f]{8} \(pid \d+\), which ended without stopping its services: killed \d process\(es\), removed 3 dir\(s\)/);
    } finally {
      await next.stop();
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('on %s, stops the services and then ends the process by that signal', async (signal) => {
    const ctx = context();
    const { child, owned: left, exited } = await startChild(ctx.stateDir, 'wait');
    expect(left.pids).toHaveLength(2);
    child.kill(signal);
    expect(await exited).toEqual({ code: null, signal });
    for (const pid of left.pids) expect(isProcessAlive(pid)).toBe(false);
    for (const dir of left.dirs) expect(existsSync(dir)).toBe(false);
    expect(records(ctx.stateDir)).toEqual([]);
  });

  it('stops services a program forgot to stop when it ends normally', async () => {
    const ctx = context();
    const { owned: left, exited } = await startChild(ctx.stateDir, 'forget');
    expect(left.dirs).toHaveLength(3);
    expect(await exited).toEqual({ code: 0, signal: null });
    for (const pid of left.pids) expect(isProcessAlive(pid)).toBe(false);
    for (const dir of left.dirs) expect(existsSync(dir)).toBe(false);
    expect(records(ctx.stateDir)).toEqual([]);
  });
});

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs helpers/session-child.ts in its own Node process; resolves once its services are up, with what it owns. */
async function startChild(
  stateDir: string,
  mode: 'wait' | 'forget',
): Promise<{ child: ChildProcess; owned: { pids: number[]; dirs: string[] }; exited: Promise<ChildExit> }> {
  const script = fileURLToPath(new URL('./helpers/session-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, stateDir, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^READY (.*)$/m.exec(out);
      if (line) resolve(line[1] as string);
    });
    void exited.then((exit) => reject(new Error(`the child session ended (${JSON.stringify(exit)}) before it was ready`)));
  });
  return { child, owned: JSON.parse(ready) as { pids: number[]; dirs: string[] }, exited };
}
