import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ownership, reapStale } from '../../src/services/ownership.ts';
import { isProcessAlive, makeSessionDir, processStartTime, removeDir } from '../../src/services/processes.ts';
import { testContext, waitGone } from './helpers/context.ts';

/** A pid that certainly belongs to no live process any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** A long-running process whose command line names `marker`, like a server started with its temp dir. */
function sleeper(marker: string): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore', detached: true });
  child.unref();
  return child.pid as number;
}

function writeRecord(stateDir: string, name: string, record: object): string {
  mkdirSync(join(stateDir, 'services'), { recursive: true });
  const file = join(stateDir, 'services', name);
  writeFileSync(file, JSON.stringify({ version: 1, session: 'feedf00d', createdAt: '', processes: [], dirs: [], externals: [], ...record }));
  return file;
}

describe('Ownership', () => {
  it('keeps its record on disk while it owns something and removes it when it owns nothing', () => {
    const ctx = testContext();
    try {
      const ownership = new Ownership(ctx.stateDir, 'abcdef01');
      expect(ownership.file).toBe(join(ctx.stateDir, 'services', `${process.pid}-abcdef01.json`));
      ownership.addDir('/tmp/dagbox-x-1');
      ownership.addProcess(process.pid, 'self', '/tmp/dagbox-x-1');
      const onDisk = JSON.parse(readFileSync(ownership.file, 'utf8'));
      expect(onDisk).toMatchObject({ session: 'abcdef01', owner: { pid: process.pid }, dirs: ['/tmp/dagbox-x-1'], processes: [{ pid: process.pid, name: 'self' }] });
      ownership.removeProcess(process.pid);
      ownership.removeDir('/tmp/dagbox-x-1');
      expect(existsSync(ownership.file)).toBe(false);
    } finally {
      ctx.cleanup();
    }
  });
});

describe('reapStale', () => {
  it('kills the live servers and removes the dirs of a session whose owner died', async () => {
    const ctx = testContext();
    const dir = makeSessionDir('reaptest');
    const pid = sleeper(dir);
    try {
      const file = writeRecord(ctx.stateDir, '1-feedf00d.json', {
        owner: { pid: deadPid(), startTime: null },
        processes: [{ pid, name: 'sleeper', marker: dir, startTime: processStartTime(pid) }],
        dirs: [dir],
      });
      const report = await reapStale(ctx.stateDir, ctx.log);
      expect(report.killed.map((p) => p.pid)).toEqual([pid]);
      expect(await waitGone(pid)).toBe(true);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(file)).toBe(false);
    } finally {
      if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
      await removeDir(dir);
      ctx.cleanup();
    }
  });

  it('spares a process that only reuses a recorded pid (other start time), and sessions whose owner lives', async () => {
    const ctx = testContext();
    const dir = makeSessionDir('reaptest');
    const pid = sleeper(dir);
    try {
      writeRecord(ctx.stateDir, '1-feedf00d.json', {
        owner: { pid: deadPid(), startTime: null },
        processes: [{ pid, name: 'sleeper', marker: dir, startTime: (processStartTime(pid) ?? 0) - 1 }],
        dirs: [],
      });
      const live = writeRecord(ctx.stateDir, `${process.pid}-0badcafe.json`, {
        owner: { pid: process.pid, startTime: processStartTime(process.pid) },
        dirs: [dir],
      });
      const report = await reapStale(ctx.stateDir, ctx.log);
      expect(report.killed).toEqual([]);
      expect(report.sessions).toEqual(['feedf00d']);
      expect(isProcessAlive(pid)).toBe(true);
      expect(existsSync(dir)).toBe(true);
      expect(existsSync(live)).toBe(true);
    } finally {
      process.kill(pid, 'SIGKILL');
      await removeDir(dir);
      ctx.cleanup();
    }
  });
});
