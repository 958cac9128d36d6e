/**
 * bench/verify: what verification costs.
 *
 * 1. The in-database fingerprint of a --rows table (default 1,000,000: id, user, score, a
 *    64-character comment, a timestamp) in Postgres (target < 1 s) and in MySQL, each beside
 *    `SELECT count(*)` on the same table in the same run (median of 3).
 * 2. `--verify` (checks 1-3, with the data checks riding along) over an --intervals window
 *    (default 30) of dags/mysql_to_redshift_v2 on the example fixtures, beside the plain backfill
 *    of the same window: in-process (one session, after a restore of the fixtures each), and as
 *    commands (`dagbox dags backfill ... [--verify]`, spawned, wall time including the start of
 *    the services). Strict checks 1-3 run each interval 3 times (twice for idempotency, once more
 *    backwards from the fixtures for the order check) plus one replay, so 3x is their floor.
 *
 * Services are ephemeral local processes (as `--services local`), removed at the end.
 *
 * 3. The same in-process --verify beside a --rows table in each database that the DAG never
 *    touches, and the ratio to the run without (target ≤ 1.15x): verification cost must follow
 *    what a DAG writes, not the size of the databases.
 *
 *   npm run bench -- verify [--json] [--rows 1000000] [--intervals 30] [--skip-cli] [--skip-untouched] [--skip-fingerprints]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createConnections } from '../src/config/connections.ts';
import { createVariables } from '../src/config/variables.ts';
import type { Dag } from '../src/dag/dag.ts';
import { loadDags } from '../src/dag/loader.ts';
import { maskerFor, runIntervals, scheduleSpecOf, VirtualClock, type RunEnvironment } from '../src/run/index.ts';
import { backfillIntervals } from '../src/schedule/index.ts';
import { startSession, type Session } from '../src/app/session.ts';
import { fingerprintMysql } from '../src/verify/mysql/fingerprint.ts';
import { fingerprintPostgres, postgresVersion } from '../src/verify/postgres/fingerprint.ts';
import { TableSettings, verifyDag } from '../src/verify/index.ts';
import { figure, numberFlag, parseArgs, report, type Figure } from './lib.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const DAG_ID = 'mysql_to_redshift_v2';
const START = '2021-02-05';

/** Run the benchmark; the exit code is 0 when every figure meets its target. */
export async function main(args: string[]): Promise<number> {
  const { flags } = parseArgs(args);
  const rows = numberFlag(flags, 'rows', 1_000_000);
  const count = numberFlag(flags, 'intervals', 30);
  const notes: string[] = [];
  const figures: Figure[] = [];
  const work = mkdtempSync(join(tmpdir(), 'dgbx-bench-verify-'));
  try {
    if (!flags.has('skip-fingerprints')) figures.push(...(await fingerprints(work, rows, notes)));
    figures.push(...(await verifyInProcess(work, count, notes)));
    if (!flags.has('skip-untouched')) figures.push(...(await untouchedTables(work, count, rows, notes)));
    if (!flags.has('skip-cli')) figures.push(...verifyCommands(work, count, notes));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return report({ name: 'verify', figures }, args, notes);
}

async function session(work: string, fixturesDir: string): Promise<Session> {
  const s = await startSession({ flag: 'local', fixturesDir, stateDir: mkdtempSync(join(work, 'state-')), log: () => {} });
  await s.loadFixtures();
  return s;
}

async function fingerprints(work: string, rows: number, notes: string[]): Promise<Figure[]> {
  const s = await session(work, join(work, 'no-fixtures'));
  try {
    const pg = s.clients.postgres!;
    const my = s.clients.mysql!;
    await bigTables(s, rows);

    const settings = new TableSettings();
    const version = await postgresVersion(pg.pool);
    const pgCount = await median(() => pg.pool.query('SELECT count(*) FROM bench.big'));
    const pgFp = await median(() => fingerprintPostgres(pg.pool, settings, version));
    const myCount = await median(() => my.pool.query('SELECT COUNT(*) FROM big'));
    const myFp = await median(() => fingerprintMysql(my.pool, [my.database], settings));
    const [t] = await fingerprintPostgres(pg.pool, settings, version);
    notes.push(`fingerprints: ${rows.toLocaleString('en')} rows, 5 columns; Postgres hash_record_extended x2 seeds (server ${version}), MySQL MD5 of QUOTEd values; ${t!.rows} rows hashed`);
    return [
      figure({ figure: `postgres fingerprint, ${compact(rows)} rows`, value: pgFp, unit: 'ms', baseline: pgCount, target: { below: 1000 } }),
      figure({ figure: `mysql fingerprint, ${compact(rows)} rows`, value: myFp, unit: 'ms', baseline: myCount }),
    ];
  } finally {
    await s.stop();
  }
}

/** A --rows table in the warehouse (`bench.big`) and in the source's session database (`big`). */
async function bigTables(s: Session, rows: number): Promise<void> {
  const pg = s.clients.postgres!;
  const my = s.clients.mysql!;
  await pg.pool.query(`CREATE SCHEMA bench;
    CREATE TABLE bench.big (id INT PRIMARY KEY, user_id INT NOT NULL, score SMALLINT, comment VARCHAR(64), created_at TIMESTAMPTZ);
    INSERT INTO bench.big SELECT g, g % 1000, g % 11, md5(g::text), timestamptz '2021-02-05' + g * interval '1 second' FROM generate_series(1, ${rows}) g;`);
  await pg.pool.query('VACUUM ANALYZE bench.big');
  await my.pool.query('CREATE TABLE digits (n INT PRIMARY KEY)');
  await my.pool.query(`INSERT INTO digits VALUES ${Array.from({ length: 1000 }, (_, i) => `(${i})`).join(', ')}`);
  await my.pool.query('CREATE TABLE big (id INT PRIMARY KEY, user_id INT NOT NULL, score SMALLINT, comment VARCHAR(64), created_at DATETIME)');
  await my.pool.query(
    `INSERT INTO big SELECT a.n * 1000 + b.n + 1, (a.n * 1000 + b.n) % 1000, (a.n * 1000 + b.n) % 11, MD5(a.n * 1000 + b.n),
       TIMESTAMP('2021-02-05') + INTERVAL (a.n * 1000 + b.n) SECOND
     FROM digits a CROSS JOIN digits b WHERE a.n * 1000 + b.n < ${rows}`,
  );
  await my.pool.query('DROP TABLE digits');
  await my.pool.query('ANALYZE TABLE big');
}

/**
 * The same --verify beside a --rows table in each database that the DAG never touches: the cost
 * of verification should follow what the DAG writes (target: at most 1.15x the run without).
 */
async function untouchedTables(work: string, count: number, rows: number, notes: string[]): Promise<Figure[]> {
  const dag = await benchDag();
  const intervals = windowOf(dag, count);
  const measure = async (big: boolean) => {
    const s = await session(work, join(root, 'fixtures'));
    try {
      if (big) await bigTables(s, rows);
      const fixtures = await s.snapshot('bench-fixtures');
      const env = environment(s);
      const ms: number[] = [];
      for (let i = 0; i < 2; i++) {
        await s.restore(fixtures);
        const t = performance.now();
        const v = await verifyDag(s, dag, env(), { intervals, fixtures, checks: ['runs', 'idempotency', 'backfill-order', 'replay', 'data-checks'] });
        ms.push(performance.now() - t);
        if (!v.ok) throw new Error(`verification of ${dag.id} failed beside the untouched tables`);
      }
      await s.dropSnapshot(fixtures);
      return Math.min(...ms);
    } finally {
      await s.stop();
    }
  };
  const without = await measure(false);
  const withBig = await measure(true);
  notes.push(`untouched tables: --verify of ${dag.id} over ${intervals.length} intervals, in process, best of 2, with and without a ${rows.toLocaleString('en')}-row table in the warehouse and in the source that the DAG never touches`);
  return [
    figure({ figure: `--verify beside an untouched ${compact(rows)}-row table in each database`, value: withBig, unit: 'ms', baseline: without }),
    figure({ figure: 'untouched tables / without, --verify in process', value: withBig / without, unit: 'x', target: { below: 1.15 } }),
  ];
}

async function verifyInProcess(work: string, count: number, notes: string[]): Promise<Figure[]> {
  const s = await session(work, join(root, 'fixtures'));
  try {
    const dag = await benchDag();
    const intervals = windowOf(dag, count);
    const fixtures = await s.snapshot('bench-fixtures');
    const env = environment(s);
    const plain: number[] = [];
    const verified: number[] = [];
    let runs = 0;
    for (let i = 0; i < 2; i++) {
      await s.restore(fixtures);
      let t = performance.now();
      const done = await runIntervals(dag, intervals, env(), { runType: 'backfill' });
      plain.push(performance.now() - t);
      if (done.some((r) => r.state !== 'success')) throw new Error(`the plain backfill of ${dag.id} failed`);
      await s.restore(fixtures);
      t = performance.now();
      const v = await verifyDag(s, dag, env(), { intervals, fixtures, checks: ['runs', 'idempotency', 'backfill-order', 'replay', 'data-checks'] });
      verified.push(performance.now() - t);
      runs = v.runs;
      if (!v.ok) throw new Error(`verification of ${dag.id} failed: ${JSON.stringify(v.checks.filter((c) => c.status === 'fail'))}`);
    }
    await s.dropSnapshot(fixtures);
    const p = Math.min(...plain);
    const v = Math.min(...verified);
    notes.push(
      `--verify in process: ${dag.id}, ${intervals.length} intervals [${START}, ...), ${runs} DAG runs vs ${intervals.length} (best of 2 each); ` +
        `strict checks 1-3 need ${runs} runs, so ${(runs / intervals.length).toFixed(2)}x is their floor here`,
    );
    return [
      figure({ figure: `--verify in process, ${intervals.length} intervals`, value: v, unit: 'ms', baseline: p }),
      figure({ figure: '--verify / plain backfill, in process', value: v / p, unit: 'x' }),
    ];
  } finally {
    await s.stop();
  }
}

function verifyCommands(work: string, count: number, notes: string[]): Figure[] {
  const project = exampleProject(work);
  const end = new Date(Date.parse(`${START}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10);
  const cli = (extra: string[]) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(root, 'bin/dagbox.js'), 'dags', 'backfill', DAG_ID, '-s', START, '-e', end, '--services', 'local', '--reprocess', 'completed', ...extra], {
      cwd: project,
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`dagbox dags backfill ${extra.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    return performance.now() - t;
  };
  const plain: number[] = [];
  const verified: number[] = [];
  for (let i = 0; i < 2; i++) {
    plain.push(cli([]));
    verified.push(cli(['--verify']));
  }
  const p = Math.min(...plain);
  const v = Math.min(...verified);
  notes.push(`commands: \`dagbox dags backfill ${DAG_ID} -s ${START} -e ${end} --services local [--verify]\`, spawned, best of 2 each (process, services and fixtures included)`);
  return [
    figure({ figure: `dags backfill --verify, ${count} intervals, command`, value: v, unit: 'ms', baseline: p }),
    figure({ figure: '--verify / plain backfill, command wall time', value: v / p, unit: 'x', target: { below: 2.2 } }),
  ];
}

async function benchDag(): Promise<Dag> {
  const bag = await loadDags(join(root, 'dags'));
  const dag = bag.dags.find((d) => d.dag.id === DAG_ID)?.dag;
  if (!dag) throw new Error(`bench/verify needs dags/${DAG_ID}.ts (the example pipeline); it is missing or failed to load: ${JSON.stringify(bag.errors)}`);
  return dag;
}

function windowOf(dag: Dag, count: number) {
  const start = new Date(`${START}T00:00:00Z`);
  return backfillIntervals(scheduleSpecOf(dag), start, new Date(start.getTime() + count * 86_400_000));
}

function environment(s: Session): () => RunEnvironment {
  const variables = createVariables({});
  const connections = createConnections({});
  for (const c of s.connections) connections.add(c);
  return () => ({ variables, connections, masker: maskerFor(variables, connections), clock: new VirtualClock(new Date()), hooks: () => s.hooks() });
}

/** A copy of the example project (dags/, fixtures/) importing this checkout's dagbox. */
function exampleProject(work: string): string {
  const dir = join(work, 'project');
  mkdirSync(join(dir, 'dags'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const dagbox = pathToFileURL(join(root, 'src/index.ts')).href;
  for (const f of readdirSync(join(root, 'dags'))) {
    writeFileSync(join(dir, 'dags', f), readFileSync(join(root, 'dags', f), 'utf8').replaceAll("from 'dagbox'", `from '${dagbox}'`));
  }
  cpSync(join(root, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
  return dir;
}

async function median(fn: () => Promise<unknown>, times = 3): Promise<number> {
  await fn(); // warm the cache: both figures read a table already in memory
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

function compact(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}
