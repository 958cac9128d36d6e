import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/project.ts';
import { startPipelineHarness, states, type PipelineHarness } from './harness.ts';

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(() => h?.close());
beforeEach(() => h.reset());

/** prod.nps as the fixture CSV has it: [id, created_at, score], read without dagbox. */
const nps = readFileSync(join(repoRoot, 'fixtures/mysql/prod.nps.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','));
const npsOn = (...days: string[]) => nps.filter((r) => days.some((d) => r[1]!.startsWith(d)));
const table = async () => (await h.pg('SELECT id, created_at, score FROM raw_data.nps ORDER BY id')).map((r) => [r.id, r.created_at, r.score]);

describe('pipeline mysql_to_redshift (prod.nps -> S3 -> raw_data.nps, full refresh)', () => {
  it('copies all of prod.nps on every run, through an S3 CSV, checks passing', async () => {
    const runs = await h.backfill('mysql_to_redshift', '2021-02-05', '2021-02-08');
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    expect(states(runs[0]!)).toEqual({ mysql_to_s3_nps: 'success', s3_to_redshift_nps: 'success', check_columns: 'success', check_row_counts: 'success' });
    expect(await table()).toEqual(nps);
    const csv = await h.s3Text('mysql_to_redshift/nps.csv');
    expect(csv.split('\n')[0]).toBe('id,created_at,score');
    expect(csv.trim().split('\n').slice(1).map((l) => l.split(','))).toEqual(nps);
  });
});

describe('pipeline mysql_to_redshift_v2 (incremental, UPSERT on id)', () => {
  it('loads only the rows of each logical date, one S3 key per ds', async () => {
    const runs = await h.backfill('mysql_to_redshift_v2', '2021-02-05', '2021-02-08');
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    expect(await table()).toEqual(npsOn('2021-02-05', '2021-02-06', '2021-02-07'));
    expect((await h.s3Text('mysql_to_redshift_v2/nps/2021-02-06.csv')).trim().split('\n').slice(1).map((l) => l.split(','))).toEqual(npsOn('2021-02-06'));
  });

  it('is idempotent: re-running the window backwards and one day twice leaves the same table', async () => {
    await h.backfill('mysql_to_redshift_v2', '2021-02-05', '2021-02-08');
    const first = await table();
    await h.backfill('mysql_to_redshift_v2', '2021-02-05', '2021-02-08', { reverse: true });
    await h.backfill('mysql_to_redshift_v2', '2021-02-06', '2021-02-07');
    expect(await table()).toEqual(first);
  });

  it('an update in the source for a day is upserted, not duplicated, when that day is re-run', async () => {
    await h.backfill('mysql_to_redshift_v2', '2021-02-05', '2021-02-08');
    const [target] = npsOn('2021-02-06');
    await h.mysql('UPDATE prod.nps SET score = 10 - score WHERE id = ?', [target![0]]);
    await h.backfill('mysql_to_redshift_v2', '2021-02-06', '2021-02-07');
    const rows = await h.pg('SELECT score FROM raw_data.nps WHERE id = $1', [target![0]]);
    expect(rows).toEqual([{ score: String(10 - Number(target![2])) }]);
    expect(await h.pg('SELECT COUNT(*) AS n FROM raw_data.nps')).toEqual([{ n: String(npsOn('2021-02-05', '2021-02-06', '2021-02-07').length) }]);
  });
});
