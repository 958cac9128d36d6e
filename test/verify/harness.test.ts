import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from 'dagbox/testing';
import { corpusProject, servicesFlag, WINDOW } from './helpers.ts';

// The vitest API as the README shows it: `import { createHarness } from 'dagbox/testing'`
// registers toBeIdempotent and toBeBackfillSafe, whose failure messages are row-level diffs.

const project = corpusProject(['append_no_dedupe', 'upsert_keyed', 'upsert_wrong_key']);
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ cwd: project.dir, dags: 'dags', services: servicesFlag });
});
afterAll(async () => {
  await h?.close();
  project.remove();
});

describe('createHarness', () => {
  it('backfills a window and reads the rows of a warehouse table and of a source table', async () => {
    const runs = await h.backfill('upsert_keyed', WINDOW.from, WINDOW.to);
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    const rows = await h.rows('raw_data.nps_upsert');
    expect(rows.map((r) => r.id)).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21]);
    expect((await h.rows('prod.nps')).length).toBe(36);
    expect((await h.rows('mysql:prod.nps'))[0]).toMatchObject({ id: 1, user_id: 1 });
    await h.reset();
    await expect(h.rows('raw_data.nps_upsert')).rejects.toThrow();
  });

  it('passes toBeIdempotent and toBeBackfillSafe for a correct DAG', async () => {
    await expect(h.dag('upsert_keyed')).toBeIdempotent(WINDOW);
    await expect(h.dag('upsert_keyed')).toBeBackfillSafe(WINDOW);
  });

  it('fails toBeIdempotent with the row-level diff as the message', async () => {
    const error = await expect(h.dag('append_no_dedupe')).toBeIdempotent(WINDOW).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/expected DAG "append_no_dedupe" to be idempotent over \[2021-02-05, 2021-02-08\)/);
    expect(error?.message).toMatch(/re-running 2021-02-05 changed raw_data\.nps_append \(rows 3 → 6\)/);
    expect(error?.message).toMatch(/joined on all columns \(id, user_id, score, created_at\): 6 common, 0 only before, 3 only after, 0 changed/);
    expect(error?.message).toMatch(/only after +after +13 +1 /);
  });

  it('fails toBeBackfillSafe for an UPSERT on a non-unique key, and .not passes', async () => {
    await expect(h.dag('upsert_wrong_key')).not.toBeBackfillSafe(WINDOW);
    const error = await expect(h.dag('upsert_wrong_key')).toBeBackfillSafe(WINDOW).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/running the window backwards left other tables than in date order: raw_data\.nps_latest/);
    expect((error as Error).message).toMatch(/joined on declared keys \(user_id\)/);
  });

  it('throws a readable error for a backfill whose run fails, and for an unknown DAG', async () => {
    expect(() => h.dag('upsert_keyd')).toThrow(/no DAG "upsert_keyd".*did you mean "upsert_keyed"/s);
    await expect(h.backfill('upsert_keyed', '2021-02-08', '2021-02-05')).rejects.toThrow(/"to" must come after "from"/);
  });
});
