import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, tempProject } from '../helpers/project.ts';

// Regression (issue 15): Ctrl-C/SIGTERM while services were still starting stopped the ones that had
// started and ended the process, leaving the temp dirs (tens of MB) of those still starting and the
// ownership record for a later command to reap; an interrupted first-ever start (templates being
// built) left the template work dirs. The signal is sent at a chosen point: when a file appears.

const project = tempProject({
  'dags/a.ts': `import { Dag } from 'DAGBOX';\nconst dag = new Dag({ id: 'a', schedule: '@daily', startDate: '2021-02-01' });\ndag.task('t', async () => {});\nexport default dag;\n`,
});
const scratch: string[] = [];
afterAll(() => {
  project.remove();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dagbox-test-${name}-`));
  scratch.push(dir);
  return dir;
}

/** Start `dagbox dags test` on local services, send `signal` once `ready()` holds, and resolve with how it ended. */
async function interruptStart(env: Record<string, string>, ready: () => boolean, signal: NodeJS.Signals): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dagbox.js'), 'dags', 'test', 'a', '2021-02-01', '--services', 'local'], {
    cwd: project.dir,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
  try {
    while (!ready()) {
      if (child.exitCode !== null) throw new Error(`dagbox ended before the chosen point:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill(signal);
    return { signal: await exited, stderr };
  } finally {
    clearTimeout(guard);
  }
}

const ours = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('dagbox-'));
const records = (stateDir: string) => (existsSync(join(stateDir, 'services')) ? readdirSync(join(stateDir, 'services')) : []);

describe('a stop signal while the services start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: removes the temp dirs of the services still starting and the ownership record', async (signal) => {
    const tmp = scratchDir('start-tmp');
    const state = scratchDir('start-state');
    // The chosen point: the first service dir exists, the servers are not ready.
    const ended = await interruptStart({ TMPDIR: tmp, DAGBOX_STATE_DIR: state }, () => ours(tmp).length > 0, signal);
    expect(ended.signal, ended.stderr).toBe(signal);
    expect(ours(tmp)).toEqual([]);
    expect(records(state)).toEqual([]);
  });

  it('on a first-ever start (templates being built), leaves no template work or staging dirs', async () => {
    const tmp = scratchDir('start-tmp');
    const state = scratchDir('start-state');
    const cache = scratchDir('start-cache');
    const building = () => ours(tmp).some((n) => n.includes('-template-'));
    const ended = await interruptStart({ TMPDIR: tmp, DAGBOX_STATE_DIR: state, DAGBOX_CACHE_DIR: cache }, building, 'SIGTERM');
    expect(ended.signal, ended.stderr).toBe('SIGTERM');
    expect(ours(tmp)).toEqual([]);
    expect(records(state)).toEqual([]);
    const templates = existsSync(join(cache, 'templates')) ? readdirSync(join(cache, 'templates')) : [];
    expect(templates.filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
