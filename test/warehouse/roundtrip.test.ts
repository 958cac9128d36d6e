import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dag } from '../../src/dag/dag.ts';
import { s3ToWarehouse, sql, sqlToS3, sqlToSql } from '../../src/operators/index.ts';
import { startPipelineHarness, states, type PipelineHarness } from '../pipelines/harness.ts';

let h: PipelineHarness;
beforeAll(async () => {
  h = await startPipelineHarness();
});
afterAll(() => h?.close());

/**
 * prod.edge_values (fixtures/mysql/020_edge_values.sql) -> S3 CSV -> raw_data.edge_values ->
 * MySQL prod.edge_values_back, and raw_data.edge_values -> UNLOAD -> COPY -> a copy in Postgres.
 */
const dag = new Dag({ id: 'edge_roundtrip', schedule: '@daily', startDate: '2021-02-05' });
dag
  .task('to_s3', sqlToS3({ query: 'SELECT * FROM prod.edge_values ORDER BY id', s3Key: 'edge/edge_values.csv', replace: true }))
  .to(dag.task('to_warehouse', s3ToWarehouse({ s3Key: 'edge/edge_values.csv', schema: 'raw_data', table: 'edge_values', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'REPLACE' })))
  .to(
    dag.task(
      'back_to_mysql',
      sqlToSql({ sourceConnId: 'redshift', sql: 'SELECT * FROM raw_data.edge_values ORDER BY id', destinationConnId: 'mysql', destinationTable: 'prod.edge_values_back', method: 'REPLACE' }),
    ),
  )
  .to(
    dag.task(
      'unload_and_copy',
      sql({
        connId: 'redshift',
        sql: `
          UNLOAD ('SELECT * FROM raw_data.edge_values ORDER BY id') TO 's3://_/edge/unload_' FORMAT AS CSV HEADER PARALLEL OFF ALLOWOVERWRITE;
          CREATE TABLE raw_data.edge_values_copy (LIKE raw_data.edge_values);
          COPY raw_data.edge_values_copy FROM 's3://_/edge/unload_000' CSV IGNOREHEADER 1;
        `,
      }),
    ),
  );

/** Postgres's own text for each value of raw_data.edge_values, written out by hand. */
const expected = [
  { id: '1', label: null, note: '', ts_local: '2021-02-05 00:00:00', ts_utc: '2021-02-05 00:00:00+00', day: '2021-02-05', amount: '0.0000000000', big: '0', flag: 'f' },
  { id: '2', label: '', note: null, ts_local: '2021-02-05 23:59:59.999999', ts_utc: '2021-02-05 23:59:59.999999+00', day: '1970-01-01', amount: '-0.0000000001', big: '9007199254740993', flag: 't' },
  {
    id: '3',
    label: 'say "hi", then leave',
    note: 'line one\nline two\r\nline three',
    ts_local: '1999-12-31 23:59:59.000001',
    ts_utc: '2038-01-19 03:14:07+00',
    day: '9999-12-31',
    amount: '1234567890123456789012345678.1234567890',
    big: '-9223372036854775808',
    flag: null,
  },
  { id: '4', label: '김민준, 서울', note: '한국어 텍스트와 emoji 😀 and ünïcödé', ts_local: null, ts_utc: null, day: null, amount: '-1234567890123456789012345678.1234567890', big: '9223372036854775807', flag: 't' },
  {
    id: '5',
    label: "'); DROP TABLE raw_data.edge_values; --",
    note: 'back\\slash \\N and \\. and a tab\there',
    ts_local: '2021-02-06 12:30:00.5',
    ts_utc: '2021-02-06 12:30:00.5+00',
    day: '2021-02-06',
    amount: '42.5000000000',
    big: '42',
    flag: 'f',
  },
  { id: '6', label: '\\.', note: ' leading and trailing spaces ', ts_local: '2021-02-07 08:00:00', ts_utc: null, day: '2021-02-07', amount: null, big: null, flag: null },
];

describe('values round-trip MySQL -> S3 CSV -> warehouse -> MySQL, and warehouse -> UNLOAD -> COPY', () => {
  let runState: Record<string, string>;
  beforeAll(async () => {
    const [run] = await h.backfill(dag, '2021-02-05', '2021-02-06');
    runState = states(run!);
    if (run!.state !== 'success') throw new Error(run!.tasks.map((t) => `${t.taskId}: ${t.state} ${t.error ?? ''}`).join('\n'));
  });

  it('every task succeeds', () => {
    expect(runState).toEqual({ to_s3: 'success', to_warehouse: 'success', back_to_mysql: 'success', unload_and_copy: 'success' });
  });

  it('the warehouse holds exactly the MySQL values: NULL vs empty, quotes, commas, newlines, Unicode, times, DECIMAL(38,10), BIGINT beyond 2^53, booleans', async () => {
    expect(await h.pg('SELECT * FROM raw_data.edge_values ORDER BY id')).toEqual(expected);
  });

  it('the CSV keeps NULL (empty) apart from the empty string ("") and quotes what needs it', async () => {
    const lines = (await h.s3Text('edge/edge_values.csv')).split('\n');
    expect(lines[0]).toBe('id,label,note,ts_local,ts_utc,day,amount,big,flag');
    expect(lines[1]).toBe('1,,"",2021-02-05 00:00:00.000000,2021-02-05 00:00:00.000000,2021-02-05,0.0000000000,0,0');
    expect(lines[2]).toBe('2,"",,2021-02-05 23:59:59.999999,2021-02-05 23:59:59.999999,1970-01-01,-0.0000000001,9007199254740993,1');
    expect(lines[3]).toBe('3,"say ""hi"", then leave","line one');
  });

  it('back in MySQL, every value equals the original byte for byte', async () => {
    const original = await h.mysql('SELECT * FROM prod.edge_values ORDER BY id');
    const back = await h.mysql('SELECT * FROM prod.edge_values_back ORDER BY id');
    expect(back).toEqual(original);
    expect(original[1]!.big).toBe('9007199254740993');
    expect(original[2]!.amount).toBe('1234567890123456789012345678.1234567890');
  });

  it('UNLOAD then COPY gives the same warehouse rows', async () => {
    expect(await h.pg('SELECT * FROM raw_data.edge_values_copy ORDER BY id')).toEqual(expected);
  });

  it("the row holding '); DROP TABLE ...; -- arrived as text and dropped nothing", async () => {
    expect(await h.pg("SELECT to_regclass('raw_data.edge_values') IS NOT NULL AS present")).toEqual([{ present: 't' }]);
    expect(await h.mysql("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'prod' AND TABLE_NAME = 'edge_values'")).toEqual([{ n: '1' }]);
    expect((await h.pg('SELECT label FROM raw_data.edge_values WHERE id = 5'))[0]!.label).toBe("'); DROP TABLE raw_data.edge_values; --");
  });
});
