/**
 * bench/transfer: MySQL -> S3 -> Postgres for N rows (the course's prod.nps shape: id BIGINT,
 * created_at DATETIME, score SMALLINT), the way a dagbox DAG does it: sqlToS3 (MySQL row stream ->
 * CSV -> multipart upload) then s3ToWarehouse REPLACE (Redshift COPY emulation: S3 object streamed
 * into COPY FROM STDIN, the table emptied and COPYed in one transaction).
 *
 * Measured in the same run, against the same local servers (started with startSession, local
 * processes):
 * - the dagbox transfer, run in a CHILD PROCESS (the two operators through the real executor) so
 *   that its peak RSS is the transfer's own: `process.resourceUsage().maxRSS` of that process,
 *   which includes Node, tsx and dagbox's modules (their size before the transfer is printed too);
 * - (a) the raw baseline: `mysql --batch --quick` piped into `psql -c "\copy ... FROM STDIN"`;
 * - (b) the course's first ETL, one INSERT per row (here with bound values) on a sample of
 *   --sample rows, extrapolated linearly to N.
 *
 * Targets: dagbox time <= 1.5x the raw baseline's; >= 50x faster than row-by-row; peak RSS < 250 MB.
 *
 * Each of the raw baseline and the dagbox transfer runs --repeat times (default 3), alternating,
 * into emptied tables; the fastest run of each is reported (the machine's other load only ever
 * slows a run down). Autovacuum is off on the target tables, so that one run's million new rows
 * are not vacuumed during the next run.
 *
 *   npm run bench -- transfer [--rows 1000000] [--sample 10000] [--repeat 3] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from '../src/config/connection.ts';
import { createConnections } from '../src/config/connections.ts';
import { createVariables } from '../src/config/variables.ts';
import { Dag } from '../src/dag/dag.ts';
import { s3ToWarehouse, sqlToS3 } from '../src/operators/index.ts';
import { maskerFor, runDagRun, VirtualClock } from '../src/run/index.ts';
import { connectionHooks } from '../src/app/hooks.ts';
import { startSession, type Session } from '../src/app/session.ts';
import { figure, numberFlag, parseArgs, report } from './lib.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const SOURCE = 'bench_nps';
const QUERY = `SELECT id, created_at, score FROM ${SOURCE}`;

/** What the child process is told: where the servers are and how many rows to move. */
interface ChildSpec {
  connections: Connection[];
  bucket: string;
  rows: number;
}

/** What the child reports on stdout (one JSON line). */
interface ChildResult {
  ms: number;
  extractMs: number;
  loadMs: number;
  rows: number;
  maxRssMb: number;
  rssBeforeMb: number;
  /** RSS sampled every 10 ms while each task ran, highest value, MB. */
  extractRssMb: number;
  loadRssMb: number;
}

export async function main(args: string[]): Promise<number> {
  const { flags } = parseArgs(args);
  if (flags.get('child') === true) return runChild();
  const rows = Math.round(numberFlag(flags, 'rows', 1_000_000));
  const sample = Math.round(Math.min(rows, numberFlag(flags, 'sample', 10_000)));
  const repeat = Math.round(numberFlag(flags, 'repeat', 3));
  const stateDir = mkdtempSync(join(tmpdir(), 'dagbox-bench-transfer-'));
  const session = await startSession({ flag: 'local', fixturesDir: join(stateDir, 'no-fixtures'), stateDir, log: () => {} });
  try {
    const progress = (line: string) => process.stderr.write(`bench transfer: ${line}\n`);
    progress(`generating ${rows.toLocaleString('en')} rows in MySQL`);
    await prepare(session, rows);
    let raw = Infinity;
    let dagbox: ChildResult | undefined;
    for (let i = 1; i <= repeat; i++) {
      progress(`run ${i}/${repeat}: raw baseline (mysql --batch --quick | psql \\copy)`);
      await emptyTargets(session);
      raw = Math.min(raw, await rawBaseline(session));
      await expectCount(session, 'raw_data.bench_raw', rows);
      progress(`run ${i}/${repeat}: dagbox (sqlToS3 >> s3ToWarehouse) in a child process`);
      const run = await runInChild({ connections: session.connections, bucket: session.services!.s3.database, rows });
      await expectCount(session, 'raw_data.bench_dagbox', rows);
      if (!dagbox || run.ms < dagbox.ms) dagbox = { ...run, maxRssMb: Math.max(run.maxRssMb, dagbox?.maxRssMb ?? 0) };
      else dagbox.maxRssMb = Math.max(dagbox.maxRssMb, run.maxRssMb);
    }
    if (!dagbox) throw new Error('--repeat must be 1 or more');
    progress('dagbox again over the rows it loaded (REPLACE of a full table, as a re-run does)');
    const rerun = await runInChild({ connections: session.connections, bucket: session.services!.s3.database, rows });
    await expectCount(session, 'raw_data.bench_dagbox', rows);
    progress(`row-by-row INSERTs: ${sample.toLocaleString('en')} rows`);
    const rowByRowMs = (await rowByRow(session, sample)) * (rows / sample);
    const rawRate = rows / (raw / 1000);
    const rate = rows / (dagbox.ms / 1000);
    return report(
      {
        name: 'transfer',
        figures: [
          figure({ figure: `rows/s, dagbox MySQL -> S3 -> Postgres (${rows} rows)`, value: rate, unit: 'rows/s', baseline: rawRate }),
          figure({ figure: 'dagbox time / raw mysql|psql time', value: dagbox.ms / raw, unit: 'x', target: { below: 1.5 } }),
          figure({ figure: 'row-by-row INSERT time / dagbox time (extrapolated)', value: rowByRowMs / dagbox.ms, unit: 'x', target: { above: 50 } }),
          figure({ figure: 'peak RSS of the dagbox transfer process', value: dagbox.maxRssMb, unit: 'MB', target: { below: 250 } }),
          figure({ figure: 'dagbox extract (sqlToS3)', value: dagbox.extractMs, unit: 'ms' }),
          figure({ figure: 'dagbox load (s3ToWarehouse REPLACE)', value: dagbox.loadMs, unit: 'ms' }),
          figure({ figure: 'RSS while extracting (sampled)', value: dagbox.extractRssMb, unit: 'MB' }),
          figure({ figure: 'RSS while loading (sampled)', value: dagbox.loadRssMb, unit: 'MB' }),
          figure({ figure: 'dagbox total', value: dagbox.ms, unit: 'ms', baseline: raw }),
          figure({ figure: `dagbox re-run: load (REPLACE over ${rows} rows)`, value: rerun.loadMs, unit: 'ms', baseline: dagbox.loadMs }),
          figure({ figure: 'row-by-row INSERT, extrapolated', value: rowByRowMs, unit: 'ms', baseline: raw }),
        ],
      },
      args,
      [
        `${rows} rows (id BIGINT, created_at DATETIME, score SMALLINT); local mariadbd, postgres and in-process s3rver`,
        `fastest of ${repeat} runs each; raw baseline ${Math.round(raw)} ms; row-by-row measured on ${sample} rows, scaled by ${(rows / sample).toFixed(1)}`,
        `RSS: the transfer child's maxRSS (process.resourceUsage), highest of all runs; ${dagbox.rssBeforeMb} MB of it before the transfer started (Node + tsx + modules)`,
      ],
    );
  } finally {
    await session.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** N rows in MySQL; empty targets in Postgres (with the primary key the course's tables have). */
async function prepare(session: Session, rows: number): Promise<void> {
  const my = session.clients.mysql!.pool;
  await my.query(`DROP TABLE IF EXISTS ${SOURCE}, bench_digits`);
  await my.query(`CREATE TABLE ${SOURCE} (id BIGINT PRIMARY KEY, created_at DATETIME NOT NULL, score SMALLINT NOT NULL)`);
  await my.query('CREATE TABLE bench_digits (d INT PRIMARY KEY)');
  await my.query('INSERT INTO bench_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
  const digits = ['a', 'b', 'c', 'e', 'f', 'g', 'h'];
  const n = digits.map((t, i) => `${t}.d * ${10 ** i}`).join(' + ');
  await my.execute(
    `INSERT INTO ${SOURCE} SELECT n + 1, TIMESTAMP('2021-02-05') + INTERVAL (n MOD 604800) SECOND, n MOD 11
     FROM (SELECT ${n} AS n FROM ${digits.map((t) => `bench_digits ${t}`).join(', ')}) AS x WHERE n < ?`,
    [rows],
  );
  const pg = session.clients.postgres!.pool;
  await pg.query('CREATE SCHEMA IF NOT EXISTS raw_data');
  for (const table of ['bench_raw', 'bench_dagbox', 'bench_row_by_row']) {
    await pg.query(`DROP TABLE IF EXISTS raw_data.${table}`);
    await pg.query(`CREATE TABLE raw_data.${table} (id BIGINT PRIMARY KEY, created_at TIMESTAMP, score SMALLINT) WITH (autovacuum_enabled = false)`);
  }
}

/** `mysql --batch --quick | psql \copy`: the same rows, no dagbox, no S3. Returns ms. */
async function rawBaseline(session: Session): Promise<number> {
  const my = session.services!.mysql;
  const pg = session.services!.postgres;
  const command =
    `mysql --batch --quick --skip-column-names --host=127.0.0.1 --port=${my.port} --user=${my.username} --database=${my.database} -e "${QUERY}"` +
    ` | psql -X -q -v ON_ERROR_STOP=1 "host=127.0.0.1 port=${pg.port} user=${pg.username} dbname=${pg.database}"` +
    ` -c "\\copy raw_data.bench_raw FROM STDIN WITH (FORMAT text, NULL 'NULL')"`;
  const t0 = performance.now();
  await exec('bash', ['-o', 'pipefail', '-c', command], { MYSQL_PWD: my.password, PGPASSWORD: pg.password });
  return performance.now() - t0;
}

/** The course's first ETL: one INSERT per row, each its own statement (autocommit). Returns ms for `sample` rows. */
async function rowByRow(session: Session, sample: number): Promise<number> {
  const [rows] = await session.clients.mysql!.pool.query({ sql: `${QUERY} ORDER BY id LIMIT ?`, values: [sample], rowsAsArray: true, dateStrings: true });
  const pg = session.clients.postgres!.pool;
  const t0 = performance.now();
  for (const row of rows as unknown[][]) await pg.query('INSERT INTO raw_data.bench_row_by_row VALUES ($1, $2, $3)', row);
  return performance.now() - t0;
}

/** Each run loads into empty tables, the same work for both. */
async function emptyTargets(session: Session): Promise<void> {
  await session.clients.postgres!.pool.query('TRUNCATE raw_data.bench_raw, raw_data.bench_dagbox');
}

async function expectCount(session: Session, table: string, rows: number): Promise<void> {
  const { rows: result } = await session.clients.postgres!.pool.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  if (Number(result[0]!.n) !== rows) throw new Error(`${table} holds ${result[0]!.n} rows after the transfer, expected ${rows}: the transfer is broken`);
}

function runInChild(spec: ChildSpec): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/bench.js'), 'transfer', '--child'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`the transfer child exited with ${code}: ${out.slice(-500)}`));
      resolve(JSON.parse(line) as ChildResult);
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

/** In the child: read the spec from stdin, run sqlToS3 >> s3ToWarehouse once, print the result. */
async function runChild(): Promise<number> {
  let input = '';
  for await (const chunk of process.stdin) input += String(chunk);
  const spec = JSON.parse(input) as ChildSpec;
  const connections = createConnections(Object.fromEntries(spec.connections.map((c) => [c.connId, c])), {});
  const variables = createVariables({}, {});
  const services = connectionHooks(connections, spec.bucket);
  const dag = new Dag({ id: 'bench_transfer', schedule: '@daily', startDate: '2021-02-05' });
  dag
    .task('extract', sqlToS3({ query: QUERY, s3Key: 'bench/nps.csv', replace: true }))
    .to(dag.task('load', s3ToWarehouse({ s3Key: 'bench/nps.csv', schema: 'raw_data', table: 'bench_dagbox', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'REPLACE' })));
  const rssBeforeMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
  const peaks: Record<string, number> = { extract: 0, load: 0 };
  let running = '';
  const sampler = setInterval(() => {
    if (running) peaks[running] = Math.max(peaks[running] ?? 0, process.memoryUsage.rss());
  }, 10);
  const t0 = performance.now();
  try {
    const run = await runDagRun(dag, { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') }, {
      variables,
      connections,
      masker: maskerFor(variables, connections),
      clock: new VirtualClock(new Date('2021-02-06T00:00:00Z')),
      hooks: () => services.hooks(),
      onEvent: (event) => {
        if (event.type === 'task-state') running = event.state === 'running' ? event.taskId : '';
      },
    });
    const ms = performance.now() - t0;
    clearInterval(sampler);
    if (run.state !== 'success') throw new Error(`the transfer failed: ${run.tasks.map((t) => `${t.taskId} ${t.state} ${t.error ?? ''}`).join('; ')}`);
    const [extract, load] = run.tasks;
    const result: ChildResult = {
      ms,
      extractMs: extract!.durationMs,
      loadMs: load!.durationMs,
      rows: spec.rows,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      rssBeforeMb,
      extractRssMb: Math.round(peaks.extract! / 2 ** 20),
      loadRssMb: Math.round(peaks.load! / 2 ** 20),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    await services.close();
  }
}

function exec(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${err.slice(-500)}`))));
  });
}
