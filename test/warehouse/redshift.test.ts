import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import type { Pool } from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPipelineHarness, type PipelineHarness } from '../pipelines/harness.ts';

let h: PipelineHarness;
let warehouse: Pool;
beforeAll(async () => {
  h = await startPipelineHarness();
  warehouse = h.session.hooks().warehouse!();
});
afterAll(() => h?.close());
beforeEach(() => h.reset());

const put = (key: string, body: string | Buffer) => {
  const { client, bucket } = h.session.clients.s3!;
  return client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
};
const get = async (key: string) => {
  const { client, bucket } = h.session.clients.s3!;
  return (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
};
const nps = () => h.pg('SELECT id, created_at, score FROM raw_data.nps ORDER BY id');

describe("ctx.warehouse(): Redshift's COPY on the Postgres stand-in", () => {
  it('COPY ... FROM s3:// with IAM_ROLE, FORMAT AS CSV and IGNOREHEADER streams the object into the table', async () => {
    await put('in/nps.csv', 'id,created_at,score\n1,2021-02-05 10:00:00,9\n2,2021-02-05 11:00:00,3\n');
    const result = await warehouse.query("COPY raw_data.nps FROM 's3://_/in/nps.csv' IAM_ROLE 'arn:aws:iam::123456789012:role/x' FORMAT AS CSV IGNOREHEADER 1");
    expect(result.rowCount).toBe(2);
    expect(await nps()).toEqual([
      { id: '1', created_at: '2021-02-05 10:00:00', score: '9' },
      { id: '2', created_at: '2021-02-05 11:00:00', score: '3' },
    ]);
  });

  it('loads every object under a key prefix, each with its header skipped, also without a final newline', async () => {
    await put('in/part-0', 'id,created_at,score\n1,2021-02-05 10:00:00,9');
    await put('in/part-1', 'id,created_at,score\n2,2021-02-06 10:00:00,4\n');
    const result = await warehouse.query("COPY raw_data.nps (id, created_at, score) FROM 's3://_/in/part-' CREDENTIALS 'aws_access_key_id=x;aws_secret_access_key=y' CSV IGNOREHEADER AS 1");
    expect(result.rowCount).toBe(2);
    expect((await nps()).map((r) => r.id)).toEqual(['1', '2']);
  });

  it("DELIMITER, NULL AS, QUOTE AS, GZIP and Redshift's default pipe-delimited text format", async () => {
    await put('in/semi.csv.gz', gzipSync('1;NULL;\'7\'\n2;2021-02-05 10:00:00;5\n'));
    await warehouse.query("COPY raw_data.nps FROM 's3://_/in/semi.csv.gz' CSV QUOTE AS '''' DELIMITER ';' NULL AS 'NULL' GZIP");
    await put('in/pipes.txt', '3|2021-02-06 09:00:00|\\N\n');
    await warehouse.query("COPY raw_data.nps FROM 's3://_/in/pipes.txt'");
    expect(await nps()).toEqual([
      { id: '1', created_at: null, score: '7' },
      { id: '2', created_at: '2021-02-05 10:00:00', score: '5' },
      { id: '3', created_at: '2021-02-06 09:00:00', score: null },
    ]);
  });

  it('EMPTYASNULL loads a quoted empty field as NULL', async () => {
    await put('in/names.csv', 'name,gender\n"Kim",""\n');
    await warehouse.query("COPY raw_data.name_gender FROM 's3://_/in/names.csv' CSV IGNOREHEADER 1 EMPTYASNULL");
    expect(await h.pg('SELECT name, gender FROM raw_data.name_gender')).toEqual([{ name: 'Kim', gender: null }]);
  });

  it('an unsupported option is an error that names it, and nothing is loaded', async () => {
    await put('in/nps.csv', '1,2021-02-05 10:00:00,9\n');
    for (const [option, name] of [
      ['MANIFEST', 'MANIFEST'],
      ['MAXERROR 10', 'MAXERROR'],
      ["FORMAT AS JSON 'auto'", 'FORMAT AS JSON'],
      ['ACCEPTINVCHARS', 'ACCEPTINVCHARS'],
      ["TIMEFORMAT 'YYYY-MM-DD HH:MI:SS'", "TIMEFORMAT 'YYYY-MM-DD HH:MI:SS'"],
      ['BZIP2', 'BZIP2'],
    ]) {
      await expect(warehouse.query(`COPY raw_data.nps FROM 's3://_/in/nps.csv' CSV ${option}`), option).rejects.toThrow(`option ${name} is not supported by dagbox's Redshift stand-in`);
    }
    expect(await nps()).toEqual([]);
  });

  it('a missing object and a bad row are errors with the place and advice', async () => {
    await expect(warehouse.query("COPY raw_data.nps FROM 's3://_/nowhere/' CSV")).rejects.toThrow(/no object in s3:\/\/[^/]+\/nowhere\/ .*check the key/);
    await put('in/bad.csv', 'id,created_at,score\n1,2021-02-05 10:00:00,nine\n');
    await expect(warehouse.query("COPY raw_data.nps FROM 's3://_/in/bad.csv' CSV IGNOREHEADER 1")).rejects.toThrow(
      /COPY raw_data\.nps from s3:\/\/.*\/in\/bad\.csv failed: invalid input syntax for type smallint: "nine" \(COPY nps, line 1, column score: "nine"; line numbers count from after the 1 header line/,
    );
  });

  it('inside a transaction on a client from connect(): #temp tables, a bound S3 URL, and a rollback that undoes the COPY', async () => {
    await put('in/nps.csv', '1,2021-02-05 10:00:00,9\n2,2021-02-05 11:00:00,3\n');
    const client = await warehouse.connect();
    try {
      await client.query('BEGIN');
      await client.query('CREATE TABLE #Stage (LIKE raw_data.nps INCLUDING DEFAULTS)');
      expect((await client.query('COPY #stage FROM $1 CSV', ['s3://_/in/nps.csv'])).rowCount).toBe(2);
      await client.query('INSERT INTO raw_data.nps SELECT * FROM #stage');
      expect((await client.query('SELECT COUNT(*)::int AS n FROM raw_data.nps')).rows).toEqual([{ n: 2 }]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await nps()).toEqual([]);
  });

  // Changed by issue 11: the primary key is informational (as on Redshift), so the failure is a NOT NULL one.
  it('several statements in one query run in one transaction: a failing one undoes the COPY before it', async () => {
    await put('in/nps.csv', '1,2021-02-05 10:00:00,9\n');
    await expect(warehouse.query("COPY raw_data.nps FROM 's3://_/in/nps.csv' CSV; INSERT INTO raw_data.nps VALUES (NULL, NULL, 1)")).rejects.toThrow(/not-null constraint/);
    expect(await nps()).toEqual([]);
  });
});

describe("ctx.warehouse(): UNLOAD, GETDATE(), #temp and Redshift DDL", () => {
  beforeEach(() => h.pg("INSERT INTO raw_data.nps VALUES (1, '2021-02-05 10:00:00', 9), (2, NULL, 0)"));

  it('UNLOAD writes CSV with a header to the slice file name, and refuses to overwrite without ALLOWOVERWRITE', async () => {
    const result = await warehouse.query("UNLOAD ('SELECT * FROM raw_data.nps WHERE score > ''1'' OR created_at IS NULL ORDER BY id') TO 's3://_/out/nps_' IAM_ROLE 'arn:x' FORMAT AS CSV HEADER PARALLEL OFF");
    expect(result.rowCount).toBe(2);
    expect(await get('out/nps_000')).toBe('id,created_at,score\n1,2021-02-05 10:00:00,9\n2,,0\n');
    await expect(warehouse.query("UNLOAD ('SELECT 1') TO 's3://_/out/nps_' CSV PARALLEL OFF")).rejects.toThrow(/already holds 1 object\(s\) \(out\/nps_000\); add ALLOWOVERWRITE/);
    await warehouse.query("UNLOAD ('SELECT id FROM raw_data.nps ORDER BY id') TO 's3://_/out/nps_' DELIMITER '|' ALLOWOVERWRITE");
    expect(await get('out/nps_0000_part_00')).toBe('1\n2\n');
    await expect(warehouse.query("UNLOAD ('SELECT 1') TO 's3://_/out/x_' FORMAT AS PARQUET")).rejects.toThrow("option FORMAT AS PARQUET is not supported");
  });

  it('GETDATE() is the statement time in UTC, to the second, without time zone; SYSDATE and NVL work', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { rows } = await warehouse.query("SELECT GETDATE() AS now, pg_typeof(GETDATE())::text AS type, NVL(NULL, 'x') AS nvl, SYSDATE <= GETDATE() + interval '1 second' AS ok");
    expect(rows[0].type).toBe('timestamp without time zone');
    expect((rows[0].now as Date).getMilliseconds()).toBe(0);
    const after = Date.now();
    expect((rows[0].now as Date).getTime()).toBeGreaterThanOrEqual(before);
    expect((rows[0].now as Date).getTime()).toBeLessThanOrEqual(after);
    expect(rows[0]).toMatchObject({ nvl: 'x', ok: true });
  });

  it('CREATE TABLE with DISTKEY, SORTKEY, ENCODE and DEFAULT GETDATE() works, and a literal "getdate()" is left alone', async () => {
    await warehouse.query(`CREATE TABLE analytics.events (id INT ENCODE az64 DISTKEY, backup INT, note VARCHAR(20) DEFAULT 'getdate()', at TIMESTAMP DEFAULT GETDATE())
      DISTSTYLE KEY COMPOUND SORTKEY (id, at)`);
    await warehouse.query('INSERT INTO analytics.events (id, backup) VALUES (1, 2)');
    const { rows } = await warehouse.query('SELECT id, backup, note, at IS NOT NULL AS stamped FROM analytics.events');
    expect(rows).toEqual([{ id: 1, backup: 2, note: 'getdate()', stamped: true }]);
  });

  it('SELECT ... INTO #temp makes a temporary table', async () => {
    const client = await warehouse.connect();
    try {
      await client.query('SELECT id, score INTO #top FROM raw_data.nps WHERE score > 5');
      expect((await client.query('SELECT * FROM #top')).rows).toEqual([{ id: 1, score: 9 }]);
      expect((await client.query("SELECT relpersistence FROM pg_class WHERE relname = '#top'")).rows).toEqual([{ relpersistence: 't' }]);
    } finally {
      client.release();
    }
  });

  it('follows the session pool across a snapshot restore', async () => {
    await h.reset();
    expect((await warehouse.query('SELECT COUNT(*)::int AS n FROM raw_data.nps')).rows).toEqual([{ n: 0 }]);
  });

  it('plain Postgres passes through untouched, with callbacks too', async () => {
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      warehouse.query('SELECT $1::text AS "#not_temp"', ['#x'], (error: Error | null, result?: { rows: unknown[] }) => (error ? reject(error) : resolve(result!.rows))),
    );
    expect(rows).toEqual([{ '#not_temp': '#x' }]);
  });
});
