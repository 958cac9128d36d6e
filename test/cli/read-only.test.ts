import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { tempProject } from '../helpers/project.ts';

// Regression (issue 15): in a read-only project folder, `dags test`/`dev`/`test` failed with
// "ENOENT ... mkdir .dagbox/services", `dags backfill` with a raw error and stack, and every attempt
// left three empty dagbox-* temp dirs behind. A read-only checkout needs a bind mount, hence root.

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const services = process.env.DAGBOX_TEST_SERVICES ?? 'local';

const project = tempProject({
  'dags/a.ts': `import { Dag } from 'DAGBOX';\nconst dag = new Dag({ id: 'a', schedule: '@daily', startDate: '2021-02-01' });\ndag.task('t', async () => {});\nexport default dag;\n`,
});
/** A TMPDIR of the test's own, so that leftovers are ours to see. */
const tmp = mkdtempSync(join(tmpdir(), 'dagbox-test-rotmp-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'dagbox-test-state-'));
let mounted = false;

beforeAll(() => {
  if (!root) return;
  execFileSync('mount', ['--bind', project.dir, project.dir]);
  mounted = true;
  execFileSync('mount', ['-o', 'remount,ro,bind', project.dir]);
});
afterAll(() => {
  if (mounted) execFileSync('umount', [project.dir]);
  project.remove();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) => dagbox(args, { cwd: project.dir, env: { TMPDIR: tmp, ...env } });
const leftovers = () => readdirSync(tmp).filter((n) => n.startsWith('dagbox-'));

describe.skipIf(!root)('a read-only project folder', () => {
  it.each([
    ['dags test', ['dags', 'test', 'a', '2021-02-01', '--services', services]],
    ['dags backfill', ['dags', 'backfill', 'a', '-s', '2021-02-01', '-e', '2021-02-03', '--services', services]],
    ['test', ['test', '--window', '2021-02-01..2021-02-02', '--services', services]],
  ])('%s: says the state folder cannot be written, names it and the way out, with no stack and no temp dirs left', async (_name, args) => {
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: dagbox keeps its state (run history, service records, reports) in ${join(project.dir, '.dagbox')}, but cannot write there: it is on a read-only file system (EROFS).`);
    expect(r.stderr).toContain('--state-dir DIR or DAGBOX_STATE_DIR=DIR');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(leftovers()).toEqual([]);
  });

  it('runs with the state folder elsewhere, given by DAGBOX_STATE_DIR or --state-dir', async () => {
    const byEnv = await run(['dags', 'backfill', 'a', '-s', '2021-02-01', '-e', '2021-02-02', '--services', 'none'], { DAGBOX_STATE_DIR: elsewhere });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(readdirSync(join(elsewhere, 'runs/a'))).toHaveLength(2);
    const byFlag = await run(['--state-dir', join(elsewhere, 'by-flag'), 'dags', 'test', 'a', '2021-02-01', '--services', 'none']);
    expect(byFlag.code, byFlag.stderr).toBe(0);
    expect(existsSync(join(elsewhere, 'by-flag/runs/a'))).toBe(true);
    expect(leftovers()).toEqual([]);
  });
});
