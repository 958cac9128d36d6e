/**
 * bench/services: what a dagbox session costs to start and to reset, on local processes and, where a
 * container engine answers, on containers (the images DAGBOX_IMAGES selects), in one run:
 *
 * - cold start of all three services together (local target < 2 s; containers < 5 s, images present);
 * - restore from snapshot after a test's worth of changes (local target < 100 ms; containers below
 *   1.5 x the local median);
 * the local figures beside the baseline, measured in the same run, of dropping, re-creating and
 * re-loading the fixtures (restore to empty databases and bucket, then `loadFixtures`).
 *
 * Fixtures: 3 MySQL and 3 Postgres tables of --rows rows (default 1,000) and --objects S3 objects
 * (default 20, 4 KB each).
 *
 *   npm run bench -- services [--json] [--starts 3] [--iterations 10] [--rows 1000] [--objects 20]
 *   eval "$(bash ../shared/container-engine/setup.sh)"; DAGBOX_IMAGES=local npm run bench -- services
 */
import { PutObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startServices, containerRuntimeAvailable } from '../src/services/index.ts';
import { startSession, type Session } from '../src/app/session.ts';
import { resolveImageSet } from '../src/services/images.ts';
import { figure, numberFlag, parseArgs, report } from './lib.ts';

export async function main(args: string[]): Promise<number> {
  const { flags } = parseArgs(args);
  const starts = numberFlag(flags, 'starts', 3);
  const iterations = numberFlag(flags, 'iterations', 10);
  const rows = numberFlag(flags, 'rows', 1000);
  const objects = numberFlag(flags, 'objects', 20);
  const work = await mkdtemp(join(tmpdir(), 'dagbox-bench-services-'));
  try {
    const fixturesDir = await writeFixtures(join(work, 'fixtures'), rows, objects);
    const local = await measure('local', { starts, iterations, fixturesDir, stateDir: join(work, 'state') });
    const runtime = await containerRuntimeAvailable();
    const containers = runtime.ok ? await measure('containers', { starts, iterations, fixturesDir, stateDir: join(work, 'state') }) : null;
    const figures = [
      figure({ figure: `cold start of mysql + postgres + s3 (local), median of ${starts}`, value: median(local.cold), unit: 'ms', baseline: local.baseline, target: { below: 2000 } }),
      figure({ figure: `restore from snapshot (local), median of ${iterations}`, value: median(local.restores), unit: 'ms', baseline: local.baseline, target: { below: 100 } }),
      figure({ figure: `restore from snapshot (local), slowest of ${iterations}`, value: Math.max(...local.restores), unit: 'ms', baseline: Math.max(...local.reloads) }),
      ...Object.entries(local.parts).map(([service, ms]) => figure({ figure: `restore (local): ${service} part, median`, value: median(ms), unit: 'ms' })),
    ];
    if (containers) {
      const localP50 = median(local.restores);
      figures.push(
        figure({ figure: `cold start of mysql + postgres + s3 (containers, ${containers.images}), median of ${starts}`, value: median(containers.cold), unit: 'ms', baseline: median(local.cold), target: { below: 5000 } }),
        figure({ figure: `restore from snapshot (containers), median of ${iterations}`, value: median(containers.restores), unit: 'ms', baseline: localP50, target: { below: Math.round(1.5 * localP50) } }),
        ...Object.entries(containers.parts).map(([service, ms]) => figure({ figure: `restore (containers): ${service} part, median`, value: median(ms), unit: 'ms' })),
      );
    }
    return report({ name: 'services', figures }, args, [
      `baseline: local cold start and restore: drop, re-create and re-load the fixtures (${rows} rows x 6 tables, ${objects} objects), median ${Math.round(local.baseline)} ms; containers: the local figure`,
      containers ? `containers: images ${containers.images}` : `containers: not measured, ${runtime.ok ? '' : runtime.reason}`,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** What one provider costs: cold starts, fixture reloads (the baseline) and restores, in ms. */
interface ProviderFigures {
  cold: number[];
  reloads: number[];
  restores: number[];
  parts: Record<string, number[]>;
  baseline: number;
  images: string;
}

async function measure(
  provider: 'local' | 'containers',
  o: { starts: number; iterations: number; fixturesDir: string; stateDir: string },
): Promise<ProviderFigures> {
  const quiet = () => {};
  const images = provider === 'containers' ? resolveImageSet() : 'none';
  const all = { mysql: provider, postgres: provider, s3: provider };
  const cold: number[] = [];
  for (let i = 0; i < o.starts; i++) {
    const t0 = performance.now();
    const set = await startServices({ providers: all, stateDir: o.stateDir, log: quiet });
    cold.push(performance.now() - t0);
    await set.stop();
  }
  const session = await startSession({ flag: provider, fixturesDir: o.fixturesDir, stateDir: o.stateDir, log: quiet });
  try {
    const empty = await session.snapshot('bench_empty');
    await session.loadFixtures();
    const reloads: number[] = [];
    for (let i = 0; i < Math.max(3, Math.ceil(o.iterations / 2)); i++) {
      await mutate(session, i);
      const t0 = performance.now();
      await session.restore(empty);
      await session.loadFixtures();
      reloads.push(performance.now() - t0);
    }
    const loaded = await session.snapshot('bench_loaded');
    const restores: number[] = [];
    const parts: Record<string, number[]> = { mysql: [], postgres: [], s3: [] };
    for (let i = 0; i < o.iterations; i++) {
      await mutate(session, i);
      const t0 = performance.now();
      const r = await session.restore(loaded);
      restores.push(performance.now() - t0);
      for (const [service, ms] of Object.entries(r?.services ?? {})) parts[service]?.push(ms);
    }
    await session.dropSnapshot(loaded);
    await session.dropSnapshot(empty);
    return { cold, reloads, restores, parts, baseline: median(reloads), images };
  } finally {
    await session.stop();
  }
}

/** What a test does between restores: inserts, updates, deletes, a new table, object puts and deletes. */
async function mutate(session: Session, i: number): Promise<void> {
  const { mysql, postgres, s3 } = session.clients;
  await mysql!.pool.query('UPDATE orders SET status = ? WHERE id <= 10', [`s${i}`]);
  await mysql!.pool.query('DELETE FROM nps WHERE id <= 5');
  await postgres!.pool.query('INSERT INTO raw_data.nps (score, comment, created_at) VALUES (1, $1, now())', [`x${i}`]);
  await postgres!.pool.query('CREATE TABLE IF NOT EXISTS raw_data.scratch (n int)');
  await s3!.client.send(new PutObjectCommand({ Bucket: s3!.bucket, Key: `new/${i}.csv`, Body: 'a,b\n' }));
  await s3!.client.send(new DeleteObjectCommand({ Bucket: s3!.bucket, Key: 'nps/2021-02-01.csv' }));
}

async function writeFixtures(dir: string, rows: number, objects: number): Promise<string> {
  const files: Record<string, string> = {
    'mysql/001_schema.sql': `
CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(200), created_at DATETIME NOT NULL);
CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, status VARCHAR(20) NOT NULL,
  created_at DATETIME NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers(id));
CREATE TABLE nps (id INT AUTO_INCREMENT PRIMARY KEY, score INT NOT NULL, comment TEXT, created_at DATE NOT NULL);`,
    'postgres/001_schema.sql': `
CREATE SCHEMA raw_data;
CREATE TABLE raw_data.customers (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT, created_at TIMESTAMP NOT NULL);
CREATE TABLE raw_data.orders (id SERIAL PRIMARY KEY, customer_id INT NOT NULL REFERENCES raw_data.customers(id), amount NUMERIC(10,2) NOT NULL,
  status TEXT NOT NULL, created_at TIMESTAMP NOT NULL);
CREATE TABLE raw_data.nps (id SERIAL PRIMARY KEY, score INT NOT NULL, comment TEXT, created_at DATE NOT NULL);`,
  };
  const range = Array.from({ length: rows }, (_, i) => i + 1);
  const day = (i: number) => `2021-02-${String((i % 28) + 1).padStart(2, '0')}`;
  const customers = ['id,name,email,created_at', ...range.map((i) => `${i},고객 ${i},c${i}@example.com,${day(i)} 10:00:00`)].join('\n');
  const orders = ['id,customer_id,amount,status,created_at', ...range.map((i) => `${i},${(i % 100) + 1},${(i * 1.37).toFixed(2)},paid,${day(i)} 12:00:00`)].join('\n');
  const nps = ['id,score,comment,created_at', ...range.map((i) => `${i},${i % 11},${i % 7 === 0 ? '' : `"좋아요, ${i}"`},${day(i)}`)].join('\n');
  for (const [service, prefix] of [['mysql', ''], ['postgres', 'raw_data.']] as const) {
    files[`${service}/${prefix}customers.csv`] = `${customers}\n`;
    files[`${service}/${prefix}orders.csv`] = `${orders}\n`;
    files[`${service}/${prefix}nps.csv`] = `${nps}\n`;
  }
  const body = `id,score\n${'1,9\n'.repeat(1024)}`.slice(0, 4096);
  for (let i = 0; i < objects; i++) files[`s3/_/nps/2021-02-${String(i + 1).padStart(2, '0')}.csv`] = body;
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
