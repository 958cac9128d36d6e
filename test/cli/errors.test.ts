import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { tempProject } from '../helpers/project.ts';

// How start-up failures read (issue 15): one message saying what is wrong and what to do, no JS
// stack (it is there with --verbose), and a temp folder too small to hold the servers said once,
// with the room needed, instead of cp's "No space left on device" per file.

const project = tempProject({
  'dags/a.ts': `import { Dag } from 'DAGBOX';\nconst dag = new Dag({ id: 'a', schedule: '@daily', startDate: '2021-02-01' });\ndag.task('t', async () => {});\nexport default dag;\n`,
});
afterAll(() => project.remove());

const NO_EXTERNAL = { DAGBOX_CONN_MYSQL: '', DAGBOX_CONN_POSTGRES: '', DAGBOX_CONN_S3: '' };
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe('start-up errors on the command line', () => {
  it('print the message without a stack trace, and the stack only with --verbose', async () => {
    const plain = await dagbox(['dags', 'test', 'a', '2021-02-01', '--services', 'external'], { cwd: project.dir, env: NO_EXTERNAL });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^error: mysql: the external server provider was requested, but no URI is given \(DAGBOX_CONN_MYSQL is not set\)/m);
    expect(plain.stderr).not.toMatch(STACK_FRAME);
    expect(plain.stderr).not.toContain('NoProviderError');
    const verbose = await dagbox(['dags', 'test', 'a', '2021-02-01', '--services', 'external', '--verbose'], { cwd: project.dir, env: NO_EXTERNAL });
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(STACK_FRAME);
  });

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  it.skipIf(!root)('say once how much room the local servers need when TMPDIR is too small, and leave no dagbox dirs there', async () => {
    const small = mkdtempSync(join(tmpdir(), 'dagbox-test-smalltmp-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', small]);
    try {
      const r = await dagbox(['dags', 'test', 'a', '2021-02-01', '--services', 'local'], { cwd: project.dir, env: { TMPDIR: small } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: The temp folder .+ has \d+ MB free, but dagbox's local servers need about 224 MB there \(MySQL 96 MB, Postgres 128 MB\)/m);
      expect(r.stderr).toContain('point TMPDIR at a folder with more room');
      expect(r.stderr).not.toMatch(/No space left/);
      expect(readdirSync(small).filter((n) => n.startsWith('dagbox-'))).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
      rmdirSync(small);
    }
  });
});
