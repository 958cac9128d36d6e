import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPipelineHarness, states, type PipelineHarness } from './harness.ts';

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(() => h?.close());
beforeEach(() => h.reset());

const warehouse = (ds: string) => h.pg('SELECT course_id, title, students, reviews, avg_rating FROM analytics.course_summary WHERE ds = $1 ORDER BY course_id', [ds]);
const product = () => h.mysql('SELECT course_id, title, students, reviews, avg_rating FROM prod.course_summary ORDER BY course_id');

/** Worked out by hand from fixtures/postgres/raw_data.*.csv: what was there before 2021-02-08 00:00. */
const asOf0208 = [
  { course_id: '1', title: 'Data Engineering Basics', students: '4', reviews: '4', avg_rating: '4.50' },
  { course_id: '2', title: 'Airflow in Practice', students: '2', reviews: '2', avg_rating: '4.00' },
  { course_id: '3', title: 'SQL for Analysts, Part 1', students: '2', reviews: '1', avg_rating: '2.00' },
  { course_id: '4', title: '데이터 파이프라인 입문', students: '0', reviews: '0', avg_rating: null },
];

describe('pipeline course_summary (ELT summary in the warehouse, written back to MySQL)', () => {
  it('keeps a summary per day, as of its interval end, and copies the latest to prod.course_summary', async () => {
    const runs = await h.backfill('course_summary', '2021-02-05', '2021-02-08');
    expect(runs.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    expect(states(runs[2]!)).toEqual({
      build_summary: 'success',
      check_summary: 'success',
      check_one_row_per_course: 'success',
      summary_to_mysql: 'success',
      check_mysql_copy: 'success',
    });
    expect(await warehouse('2021-02-07')).toEqual(asOf0208);
    expect(await h.pg('SELECT DISTINCT ds::text AS ds FROM analytics.course_summary ORDER BY ds')).toEqual([{ ds: '2021-02-05' }, { ds: '2021-02-06' }, { ds: '2021-02-07' }]);
    expect(await product()).toEqual(asOf0208);
  });

  it('a backfill of a past day leaves the product on the latest day', async () => {
    await h.backfill('course_summary', '2021-02-05', '2021-02-08');
    await h.backfill('course_summary', '2021-02-05', '2021-02-06');
    expect(await product()).toEqual(asOf0208);
  });

  it('a single interval sees only the data before its end', async () => {
    await h.backfill('course_summary', '2021-02-05', '2021-02-06');
    expect(await warehouse('2021-02-05')).toEqual([
      { course_id: '1', title: 'Data Engineering Basics', students: '3', reviews: '2', avg_rating: '4.50' },
      { course_id: '2', title: 'Airflow in Practice', students: '2', reviews: '1', avg_rating: '3.00' },
      { course_id: '3', title: 'SQL for Analysts, Part 1', students: '0', reviews: '0', avg_rating: null },
      { course_id: '4', title: '데이터 파이프라인 입문', students: '0', reviews: '0', avg_rating: null },
    ]);
  });

  it('a failed check stops the write-back, and a failed write-back leaves MySQL as it was', async () => {
    await h.backfill('course_summary', '2021-02-05', '2021-02-08');
    await h.pg('INSERT INTO raw_data.reviews VALUES (99, 4, 999, 9, $1)', ['2021-02-08 12:00:00']);
    const [bad] = await h.backfill('course_summary', '2021-02-08', '2021-02-09');
    expect(states(bad!)).toMatchObject({ build_summary: 'success', check_summary: 'failed', summary_to_mysql: 'upstream_failed' });
    expect(bad!.tasks.find((t) => t.taskId === 'check_summary')!.error).toContain('avg_rating.max measured "9.00", expected leq_to 5');
    expect(await product()).toEqual(asOf0208);
  });
});
