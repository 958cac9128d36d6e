import { columnCheck, Dag, sql, sqlToSql, tableCheck } from 'dagbox';

/**
 * The course's ELT summary: per course, distinct students, distinct reviews and the average
 * rating as of the end of the interval, in analytics.course_summary, then the latest day written
 * back to MySQL (prod.course_summary) for the product, replaced in one MySQL transaction.
 *
 * Each run replaces only its own day (`ds`), atomically (DELETE + INSERT in one transaction), and
 * the write-back copies the latest day there is, whichever run does it. A single-row-per-course
 * table rebuilt "as of the interval end" would not be backfill-safe: backfilling a past day would
 * roll the summary back to that day, which `dagbox test` reports (backfill order and replay).
 */
const dag = new Dag({
  id: 'course_summary',
  description: 'ELT: raw_data courses/enrollments/reviews -> analytics.course_summary -> prod.course_summary (MySQL)',
  owner: 'analytics',
  schedule: '@daily',
  startDate: '2021-02-05',
  catchup: true,
  maxActiveRuns: 1,
  tags: ['course', 'elt'],
  inputs: ['raw_data.courses', 'raw_data.enrollments', 'raw_data.reviews'],
  outputs: ['analytics.course_summary', 'prod.course_summary'],
  defaultArgs: { retries: 1, retryDelay: '3m' },
});

const build = dag.task(
  'build_summary',
  sql({
    connId: 'redshift',
    inputs: ['raw_data.courses', 'raw_data.enrollments', 'raw_data.reviews'],
    outputs: ['analytics.course_summary'],
    sql: `
      DELETE FROM analytics.course_summary WHERE ds = DATE '{{ ds }}';
      INSERT INTO analytics.course_summary (ds, course_id, title, students, reviews, avg_rating)
      SELECT DATE '{{ ds }}', c.course_id, c.title, COALESCE(e.students, 0), COALESCE(r.reviews, 0), r.avg_rating
      FROM raw_data.courses AS c
      LEFT JOIN (
        SELECT course_id, COUNT(DISTINCT student_id) AS students
        FROM raw_data.enrollments WHERE enrolled_at < '{{ data_interval_end }}' GROUP BY course_id
      ) AS e ON e.course_id = c.course_id
      LEFT JOIN (
        SELECT course_id, COUNT(DISTINCT review_id) AS reviews, ROUND(AVG(rating::numeric), 2) AS avg_rating
        FROM raw_data.reviews WHERE created_at < '{{ data_interval_end }}' GROUP BY course_id
      ) AS r ON r.course_id = c.course_id;
    `,
  }),
);

const checkSummary = dag.task(
  'check_summary',
  columnCheck({
    connId: 'redshift',
    table: 'analytics.course_summary',
    partitionClause: "ds = DATE '{{ ds }}'",
    columnMapping: {
      course_id: { null_check: { equal_to: 0 }, unique_check: { equal_to: 0 } },
      students: { min: { geq_to: 0 } },
      avg_rating: { min: { geq_to: 1 }, max: { leq_to: 5 } },
    },
  }),
);

const checkRows = dag.task(
  'check_one_row_per_course',
  tableCheck({
    connId: 'redshift',
    table: 'analytics.course_summary',
    partitionClause: "ds = DATE '{{ ds }}'",
    checks: {
      one_row_per_course: { checkStatement: 'COUNT(*) = (SELECT COUNT(*) FROM raw_data.courses)' },
      reviews_need_students: { checkStatement: 'reviews = 0 OR students > 0' },
    },
  }),
);

const toMysql = dag.task(
  'summary_to_mysql',
  sqlToSql({
    sourceConnId: 'redshift',
    // The latest day, not this run's: a backfill of a past day must not roll the product back.
    sql: 'SELECT course_id, title, students, reviews, avg_rating FROM analytics.course_summary WHERE ds = (SELECT MAX(ds) FROM analytics.course_summary) ORDER BY course_id',
    destinationConnId: 'mysql',
    destinationTable: 'prod.course_summary',
    method: 'REPLACE',
    inputs: ['analytics.course_summary'],
  }),
);

const checkMysql = dag.task(
  'check_mysql_copy',
  tableCheck({
    connId: 'mysql',
    table: 'prod.course_summary',
    checks: { rows_out_equal_rows_in: { checkStatement: 'COUNT(*) = :written' } },
    parameters: (ctx) => ({ written: (ctx.xcom.pull('summary_to_mysql') as { rows: number }).rows }),
  }),
);

build.to([checkSummary, checkRows]);
toMysql.after(checkSummary, checkRows).to(checkMysql);

export default dag;
