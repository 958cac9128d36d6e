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

/** The fixture CSV's rows, independently of dagbox: [name, gender]. */
const csvRows = readFileSync(join(repoRoot, 'fixtures/s3/_/name_gender/name_gender.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','));

describe('pipeline name_gender (S3 CSV -> raw_data.name_gender, full refresh)', () => {
  it('backfills three days and leaves exactly the CSV in the table, checks passing', async () => {
    const runs = await h.backfill('name_gender', '2021-02-05', '2021-02-08');
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    expect(states(runs[2]!)).toEqual({ load: 'success', check_columns: 'success', check_table: 'success' });
    const rows = await h.pg('SELECT name, gender FROM raw_data.name_gender ORDER BY name COLLATE "C"');
    expect(rows.map((r) => [r.name, r.gender])).toEqual([...csvRows].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    expect(rows).toHaveLength(20);
  });

  it('replaces rows that are not in the file, in one transaction', async () => {
    await h.pg("INSERT INTO raw_data.name_gender VALUES ('Stale', 'M')");
    const [run] = await h.backfill('name_gender', '2021-02-05', '2021-02-06');
    expect(run!.state).toBe('success');
    expect(await h.pg("SELECT * FROM raw_data.name_gender WHERE name = 'Stale'")).toEqual([]);
  });

  it('a load that fails leaves the previous table as it was', async () => {
    await h.backfill('name_gender', '2021-02-05', '2021-02-06');
    // A column too narrow for one name: the COPY fails after the DELETE inside the transaction.
    await h.pg('ALTER TABLE raw_data.name_gender ALTER COLUMN name TYPE VARCHAR(8) USING left(name, 8)');
    const before = await h.pg('SELECT name, gender FROM raw_data.name_gender ORDER BY name');
    const [run] = await h.backfill('name_gender', '2021-02-06', '2021-02-07');
    expect(run!.state).toBe('failed');
    expect(run!.tasks[0]!.error).toMatch(/loading s3:\/\/.+\/name_gender\/name_gender\.csv into raw_data\.name_gender failed, and the table was left as it was: COPY .* value too long/);
    expect(await h.pg('SELECT name, gender FROM raw_data.name_gender ORDER BY name')).toEqual(before);
  });
});
