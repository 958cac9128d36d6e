import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dagbox, stopChild } from '../helpers/cli.ts';
import { repoRoot, tempProject } from '../helpers/project.ts';

/** A `dagbox dev --watch` child process whose output can be awaited line by line. */
class DevProcess {
  readonly child: ChildProcess;
  output = '';
  private waiters: { re: RegExp; from: number; resolve(m: string): void }[] = [];

  constructor(cwd: string, args: string[]) {
    this.child = spawn(process.execPath, [join(repoRoot, 'bin/dagbox.js'), 'dev', '--watch', ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (d: Buffer) => {
      this.output += d.toString();
      this.waiters = this.waiters.filter((w) => {
        const m = w.re.exec(this.output.slice(w.from));
        if (m) w.resolve(m[0]);
        return !m;
      });
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
  }

  /** Output position: waits look only at output after it. */
  mark(): number {
    return this.output.length;
  }

  // A guard far above the expected time: dev runs on 2 shared cores beside other test files.
  waitFor(re: RegExp, from = 0, timeoutMs = 120_000): Promise<string> {
    const m = re.exec(this.output.slice(from));
    if (m) return Promise.resolve(m[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs}ms; output after mark:\n${this.output.slice(from)}`)), timeoutMs);
      this.waiters.push({ re, from, resolve: (s) => (clearTimeout(timer), resolve(s)) });
    });
  }

  /** Send `signal` (SIGTERM by default, via stopChild); still alive after a grace period: killed outright. */
  exit(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (signal === 'SIGTERM') return stopChild(this.child);
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve(this.child.exitCode);
      this.child.once('exit', (code) => resolve(code));
      this.child.kill(signal);
    });
  }
}

const dagA = (taskBody: string) => `import { Dag } from 'DAGBOX';
import { label } from './_shared/util.ts';
const dag = new Dag({ id: 'a', schedule: '@daily', startDate: '2021-02-01' });
dag.task('t1', (ctx) => ctx.log.info(label(ctx.ds))).to(dag.task('t2', () => ${taskBody}));
export default dag;
`;
const dagB = (extra = '') => `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'b', schedule: '@daily', startDate: '2021-02-01' });
dag.task('only', () => 1);${extra}
export default dag;
`;

let dev: DevProcess | undefined;
// A failed test still stops its dev process the way a user would, so its services clean up after themselves.
afterEach(async () => {
  await dev?.exit('SIGTERM');
  dev = undefined;
});

describe('dagbox dev --watch (spawned on a temp project)', { timeout: 600_000 }, () => {
  it('re-runs exactly the DAGs a save reaches, survives a syntax error, and picks up new and deleted files', async () => {
    using p = tempProject({ 'dags/a.ts': dagA('1'), 'dags/b.ts': dagB(), 'dags/_shared/util.ts': 'export const label = (ds: string) => `day ${ds}`;\n' });
    dev = new DevProcess(p.dir, ['--now', '2021-02-05', '--services', 'none']);
    await dev.waitFor(/watching/);
    expect(dev.output).toContain('a: 3 interval(s) 2021-02-02 … 2021-02-04');
    expect(dev.output).toContain('b: 3 interval(s)');

    let mark = dev.mark();
    p.write('dags/a.ts', dagA('2'));
    await dev.waitFor(/saved → result in \d+/, mark);
    let after = dev.output.slice(mark);
    expect(after).toMatch(/dags\/a\.ts → a reloaded in \d+ms \(~t2\)/);
    expect(after).toMatch(/a 2021-02-04 success/);
    expect(after).not.toMatch(/^b:/m);

    mark = dev.mark();
    p.write('dags/_shared/util.ts', 'export const label = (ds: string) => `date ${ds}`;\n');
    await dev.waitFor(/saved → result in \d+/, mark);
    after = dev.output.slice(mark);
    expect(after).toMatch(/dags\/_shared\/util\.ts → a reloaded in \d+ms \(no task changed\)/);
    expect(after).toMatch(/a 2021-02-04 success/);
    // The re-run used the new helper, not a cached one.
    expect((await runFiles(p.dir)).some((r) => r.includes('date 2021-02-04'))).toBe(true);
    expect(after).not.toMatch(/→ b reloaded/);

    mark = dev.mark();
    p.write('dags/b.ts', dagB('\nconst broken = ;'));
    await dev.waitFor(/saved → result in \d+/, mark);
    after = dev.output.slice(mark);
    expect(after).toContain('keeping the last good version of b');
    expect(after).toMatch(/✘ dags\/b\.ts:4:\d+: does not compile/);
    expect(after).toMatch(/> 4 \| const broken = ;/);
    expect(dev.child.exitCode).toBeNull();

    mark = dev.mark();
    p.write('dags/b.ts', dagB("\ndag.task('second', () => 2);"));
    await dev.waitFor(/saved → result in \d+/, mark);
    expect(dev.output.slice(mark)).toMatch(/dags\/b\.ts → b reloaded in \d+ms \(\+second\)/);

    mark = dev.mark();
    p.write('dags/c.ts', dagB().replace("id: 'b'", "id: 'c'"));
    await dev.waitFor(/saved → result in \d+/, mark);
    expect(dev.output.slice(mark)).toMatch(/dags\/c\.ts → c reloaded in \d+ms \(new DAG\)/);

    mark = dev.mark();
    rmSync(join(p.dir, 'dags/c.ts'));
    await dev.waitFor(/dags\/c\.ts deleted: dropped c/, mark);

    expect(await dev.exit('SIGTERM')).toBe(0);
  });

  // Issue 15: a .sql file a DAG reads through new URL(..., import.meta.url), or a helper the config
  // imports, is no import of a DAG file, and a save of it re-ran nothing.
  it('re-runs a DAG when a file it reads by URL changes, and restarts when a helper of the config changes', async () => {
    using p = tempProject({
      'dags/a.ts': `import { readFileSync } from 'node:fs';
import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'a', schedule: '@daily', startDate: '2021-02-01' });
dag.task('q', (ctx) => ctx.log.info('sql: ' + readFileSync(new URL('../sql/report.sql', import.meta.url), 'utf8').trim()));
export default dag;
`,
      'sql/report.sql': 'SELECT 1\n',
      'dagbox.config.ts': "import { defineConfig } from 'DAGBOX';\nimport { now } from './config/when.ts';\nexport default defineConfig({ now });\n",
      'config/when.ts': "export const now = '2021-02-05';\n",
    });
    dev = new DevProcess(p.dir, ['--services', 'none']);
    await dev.waitFor(/watching/);
    expect(dev.output).toContain('a: 3 interval(s) 2021-02-02 … 2021-02-04');

    let mark = dev.mark();
    p.write('sql/report.sql', 'SELECT 2\n');
    await dev.waitFor(/saved → result in \d+/, mark);
    expect(dev.output.slice(mark)).toMatch(/sql\/report\.sql → a reloaded in \d+ms \(no task changed\)/);
    expect((await runFiles(p.dir)).some((r) => r.includes('sql: SELECT 2'))).toBe(true);

    mark = dev.mark();
    p.write('config/when.ts', "export const now = '2021-02-07';\n");
    await dev.waitFor(/a: 3 interval\(s\) 2021-02-04 … 2021-02-06/, mark);
    expect(dev.output.slice(mark)).toContain('dagbox.config.ts changed: restarting the session');
  });

  it('coalesces a burst of saves of one file into one more run', async () => {
    // The task holds its run while a `hold` file exists, so the burst lands while a run is under way:
    // however many saves, one change is queued behind it.
    const dag = (n: number) => `import { existsSync } from 'node:fs';
import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'a', schedule: '@daily', startDate: '2021-02-01' });
dag.task('t', async () => {
  while (existsSync(new URL('../hold', import.meta.url))) await new Promise((r) => setTimeout(r, 10));
  return ${n};
});
export default dag;
`;
    using p = tempProject({ 'dags/a.ts': dag(0) });
    dev = new DevProcess(p.dir, ['--now', '2021-02-05', '--window', '1', '--services', 'none', '--no-verify']);
    await dev.waitFor(/watching/);
    p.write('hold', '');
    const mark = dev.mark();
    p.write('dags/a.ts', dag(1));
    await dev.waitFor(/→ a reloaded/, mark);
    for (let i = 2; i <= 6; i++) {
      p.write('dags/a.ts', dag(i));
      await new Promise((r) => setTimeout(r, 150));
    }
    rmSync(join(p.dir, 'hold'));
    await dev.waitFor(/saved → result in \d+[\s\S]*saved → result in \d+/, mark);
    // Anything still to come would be queued by now: the queue is drained in order, and a key press shows where it ends.
    const reloads = dev.output.slice(mark).match(/→ a reloaded/g) ?? [];
    expect(reloads).toHaveLength(2);
    expect((await runFiles(p.dir)).some((r) => r.includes('"taskId": "t"'))).toBe(true);
  });

  it('runs against real services, reloads fixtures on change, and leaves no process or temp dir on quit', async () => {
    using p = tempProject({
      'fixtures/postgres/01_schema.sql': 'CREATE SCHEMA raw_data;\nCREATE TABLE raw_data.source (id int primary key, v text);\n',
      'fixtures/postgres/raw_data.source.csv': 'id,v\n1,one\n2,two\n',
      'dagbox.config.ts': "export default { variables: { unit: 'rows' } };\n",
      'dags/count.ts': `import { Dag } from 'DAGBOX';
const dag = new Dag({ id: 'count', schedule: '@daily', startDate: '2021-02-01', inputs: ['raw_data.source'], outputs: ['raw_data.counts'] });
dag.task('count', async (ctx) => {
  const pg = ctx.postgres();
  await pg.query('CREATE TABLE IF NOT EXISTS raw_data.counts (ds date primary key, n int)');
  const { rows } = await pg.query('SELECT count(*)::int AS n FROM raw_data.source');
  // The warehouse's keys are informational, as on Redshift: no ON CONFLICT, replace the day's row.
  await pg.query('DELETE FROM raw_data.counts WHERE ds = $1', [ctx.ds]);
  await pg.query('INSERT INTO raw_data.counts VALUES ($1, $2)', [ctx.ds, rows[0].n]);
  ctx.log.info('counted ' + rows[0].n + ' ' + ctx.variables.get('unit'));
});
export default dag;
`,
    });
    dev = new DevProcess(p.dir, ['--now', '2021-02-03']);
    await dev.waitFor(/watching/);
    expect(dev.output).toMatch(/postgres: .* ready in/);
    expect(dev.output).toMatch(/count 2021-02-02 success/);
    const records = readdirSync(join(p.dir, '.dagbox/services'));
    expect(records).toHaveLength(1);
    const owned = JSON.parse(readFileSync(join(p.dir, '.dagbox/services', records[0]!), 'utf8')) as { processes: { pid: number }[]; dirs: string[] };
    expect(owned.processes.length).toBeGreaterThan(0);

    const mark = dev.mark();
    writeFileSync(join(p.dir, 'fixtures/postgres/raw_data.source.csv'), 'id,v\n1,one\n2,two\n3,three\n');
    await dev.waitFor(/saved → result in \d+/, mark);
    const after = dev.output.slice(mark);
    expect(after).toContain('fixtures/postgres/raw_data.source.csv → fixtures reloaded; re-running count');
    expect(after).toMatch(/count 2021-02-02 success/);

    const configMark = dev.mark();
    writeFileSync(join(p.dir, 'dagbox.config.ts'), "export default { variables: { unit: 'records' } };\n");
    await dev.waitFor(/count 2021-02-02 success/, configMark);
    expect(dev.output.slice(configMark)).toContain('dagbox.config.ts changed: restarting the session (services kept: their settings did not change)');
    const runs = await runFiles(p.dir);
    expect(runs.some((r) => r.includes('counted 3 records'))).toBe(true);

    expect(await dev.exit('SIGINT')).toBe(0);
    for (const { pid } of owned.processes) expect(alive(pid), `pid ${pid}`).toBe(false);
    for (const dir of owned.dirs) expect(existsSync(dir), dir).toBe(false);
    expect(readdirSync(join(p.dir, '.dagbox/services'))).toEqual([]);
  });
});

/** The recorded run files of the project (.dagbox/runs/<dag>/<run>.json), as text. */
async function runFiles(dir: string): Promise<string[]> {
  const root = join(dir, '.dagbox/runs');
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('dagbox dev without --watch', () => {
  it('runs once, shows the alerts a failing DAG posts to the local webhook, and exits 1', async () => {
    using p = tempProject({
      'dags/alerting.ts': `import { Dag, slackAlert } from 'DAGBOX';
const dag = new Dag({ id: 'alerting', schedule: '@daily', startDate: '2021-02-01', defaultArgs: { onFailure: slackAlert() } });
dag.task('boom', () => { throw new Error('the partner API is down'); });
export default dag;
`,
    });
    const r = await dagbox(['dev', '--now', '2021-02-03', '--window', '1', '--services', 'none'], { cwd: p.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/alerting 2021-02-02 failed/);
    expect(r.stdout).toContain('alert posted to the webhook: :red_circle: Task failed: alerting.boom');
    expect(r.stdout).toContain('*Error*: the partner API is down');
  });
});

describe('dagbox dev --watch on a terminal', () => {
  it('answers the keys r, n, p, v, b and q', async () => {
    using p = tempProject({ 'dags/b.ts': dagB() });
    // `script` gives the process a pseudo-terminal, so stdin is a TTY and keys arrive one by one.
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(repoRoot, 'bin/dagbox.js'))} dev --watch --now 2021-02-05`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const waitFor = async (re: RegExp, from: number) => {
      // A guard far above the expected second or two: verification and backfill run on 2 shared cores.
      for (let i = 0; i < 1_200 && !re.test(output.slice(from)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(output.slice(from)).toMatch(re);
    };
    try {
      await waitFor(/keys: r re-run/, 0);
      let mark = output.length;
      child.stdin.write('n');
      await waitFor(/now = 2021-02-06T00:00:00\.000Z[\s\S]*b: 3 interval\(s\) 2021-02-03 … 2021-02-05/, mark);
      mark = output.length;
      child.stdin.write('p');
      await waitFor(/now = 2021-02-05T00:00:00\.000Z[\s\S]*b: 3 interval\(s\) 2021-02-02 … 2021-02-04/, mark);
      mark = output.length;
      child.stdin.write('r');
      await waitFor(/b: 3 interval\(s\) 2021-02-02 … 2021-02-04[\s\S]*✔ idempotency/, mark);
      mark = output.length;
      child.stdin.write('v');
      await waitFor(/b\s+\[2021-02-02, 2021-02-05\)\s+3 intervals\s+PASS[\s\S]*✔ idempotency[\s\S]*b 2021-02-04 success/, mark);
      mark = output.length;
      child.stdin.write('b');
      await waitFor(/b\s+\[2021-02-02, 2021-02-05\)\s+3 intervals\s+PASS[\s\S]*✔ backfill order[\s\S]*✔ replay[\s\S]*b 2021-02-04 success/, mark);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.stdin.write('q');
      expect(await exited).toBe(0);
      expect(output).toContain('stopping: services, worker and temp dirs');
    } finally {
      await stopChild(child);
    }
  }, 600_000);
});
