import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { CsvReadable } from '../../src/operators/csv-encoder.ts';
import { s3ToWarehouse, sql, sqlToS3, sqlToSql } from '../../src/operators/index.ts';
import { openRowSource } from '../../src/operators/row-source.ts';
import { failureDetails } from '../../src/app/format.ts';
import { startPipelineHarness, type PipelineHarness } from '../pipelines/harness.ts';

let h: PipelineHarness;
const dir = mkdtempSync(join(tmpdir(), 'dagbox-sql-files-'));
beforeAll(async () => {
  h = await startPipelineHarness({ evil: "'); DROP TABLE raw_data.nps; --" });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => h.reset());

const put = (key: string, body: string) => {
  const { client, bucket } = h.session.clients.s3!;
  return client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
};

describe('sql (SQLExecuteQueryOperator)', () => {
  it('binds a templated value that holds SQL: it is stored as text and drops nothing', async () => {
    const run = await h.runOperator(sql({ connId: 'redshift', sql: "INSERT INTO raw_data.courses VALUES (99, '{{ var.value.evil }} on {{ ds }}')" }));
    expect(run.error).toBeUndefined();
    expect(run.log).toContain('INSERT INTO raw_data.courses VALUES (99, $1)  [1 bound value(s)]');
    expect(await h.pg('SELECT title FROM raw_data.courses WHERE course_id = 99')).toEqual([{ title: "'); DROP TABLE raw_data.nps; -- on 2021-02-05" }]);
    expect(await h.pg("SELECT to_regclass('raw_data.nps') IS NOT NULL AS present")).toEqual([{ present: 't' }]);
  });

  it('runs statements in one transaction: a failing statement undoes the ones before it', async () => {
    const run = await h.runOperator(
      sql({ connId: 'mysql', sql: "INSERT INTO prod.nps (id, created_at, score) VALUES (100, '{{ ds }} 10:00:00', 5); INSERT INTO prod.nps (id, created_at, score) VALUES (100, NOW(), 6)" }),
    );
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/Duplicate entry '100'/);
    expect(await h.mysql('SELECT COUNT(*) AS n FROM prod.nps WHERE id = 100')).toEqual([{ n: '0' }]);
  });

  it('a failing statement is named by number and text beside the database message, with no JavaScript stack unless --verbose', async () => {
    const run = await h.runOperator(sql({ connId: 'redshift', sql: 'SELECT 1; INSERT INTO raw_data.nope VALUES (1)' }));
    expect(run.state).toBe('failed');
    expect(run.error).toBe('statement 2 of 2 failed: relation "raw_data.nope" does not exist\n  INSERT INTO raw_data.nope VALUES (1)');
    const details = failureDetails({ runId: 'r', dagId: 'd', state: 'failed', interval: { start: new Date(0), end: new Date(1) }, tasks: [{ taskId: 't', state: 'failed', tryNumber: 1, error: run.error, log: run.log.split('\n') }] } as never);
    expect(details.join('\n')).not.toMatch(/^\s+at /m);
    expect(details.join('\n')).not.toMatch(/node_modules/);
    expect(run.log).toMatch(/node_modules\/pg/); // kept in the task log, for --verbose
  });

  it("runs the course's BEGIN; ...; END; as written, and returns the last statement's rows with exact values", async () => {
    const run = await h.runOperator(
      sql({
        connId: 'redshift',
        returnRows: true,
        sql: [
          "BEGIN; INSERT INTO raw_data.nps VALUES (1, '{{ ds }} 09:00:00', 7), (2, NULL, 3); END;",
          'SELECT id, created_at, score, 9007199254740993::bigint AS big, 0.1::numeric(38,10) AS amount FROM raw_data.nps WHERE score > $1 ORDER BY id',
        ],
        parameters: [2],
      }),
    );
    expect(run.error).toBeUndefined();
    expect(run.value).toEqual([
      { id: 1, created_at: '2021-02-05 09:00:00', score: 7, big: '9007199254740993', amount: '0.1000000000' },
      { id: 2, created_at: null, score: 3, big: '9007199254740993', amount: '0.1000000000' },
    ]);
  });

  it('reads SQL from a file URL, and named :parameters work on MySQL', async () => {
    const file = join(dir, 'count.sql');
    writeFileSync(file, "SELECT COUNT(*) AS n FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}') AND score >= :min_score");
    const run = await h.runOperator(sql({ connId: 'mysql', sql: pathToFileURL(file), parameters: { min_score: 0 }, returnRows: true }));
    // BIGINT (COUNT) comes back as exact text, as from Postgres.
    expect(run.value).toEqual([{ n: '6' }]);
  });

  it('a missing connection is an error that names it', async () => {
    const run = await h.runOperator(sql({ connId: 'nowhere', sql: 'SELECT 1' }));
    expect(run.state).toBe('failed');
    expect(run.error).toContain('nowhere');
  });
});

describe('sqlToS3 (SqlToS3Operator)', () => {
  it('streams a MySQL query to CSV; without replace an existing object is an error and stays as it was', async () => {
    const first = await h.runOperator(sqlToS3({ query: "SELECT id, score FROM prod.nps WHERE DATE(created_at) = DATE('{{ ds }}') ORDER BY id", s3Key: 'out/{{ ds }}.csv', header: false }));
    expect(first.value).toEqual({ bucket: h.session.clients.s3!.bucket, key: 'out/2021-02-05.csv', rows: 6, columns: ['id', 'score'] });
    const before = await h.s3Text('out/2021-02-05.csv');
    expect(before.trim().split('\n')).toHaveLength(6);
    const again = await h.runOperator(sqlToS3({ query: 'SELECT 1 AS x', s3Key: 'out/{{ ds }}.csv' }));
    expect(again.state).toBe('failed');
    expect(again.error).toMatch(/s3:\/\/.*\/out\/2021-02-05\.csv already exists and replace is false; pass replace: true/);
    expect(await h.s3Text('out/2021-02-05.csv')).toBe(before);
  });

  it("reads MySQL rows straight off the packets into the same CSV as from mysql2's parsed rows", async () => {
    const pool = h.session.clients.mysql!.pool;
    // A 16 MB value needs a bigger packet limit; new connections see it.
    await pool.query('SET GLOBAL max_allowed_packet = 64 * 1024 * 1024');
    const my = h.session.services!.mysql;
    const fresh = mysql.createPool({ host: my.host, port: my.port, user: my.username, password: my.password, database: my.database, connectionLimit: 1 });
    const target = { dialect: 'mysql', connId: 'mysql', pool: fresh } as const;
    const statement = {
      text: `SELECT 1 AS id, NULL AS n, '' AS e, REPEAT('ab,"c', 60) AS len2, REPEAT('x', 70000) AS len3, UNHEX('00FF2C220A5C2E') AS bytes, '\\\\.' AS marker, '한국어' AS ko
        UNION ALL SELECT 2, 'n', NULL, NULL, NULL, UNHEX(''), NULL, NULL
        UNION ALL SELECT ?, NULL, NULL, NULL, REPEAT('y', 16777216), NULL, NULL, NULL`,
      values: [3],
    };
    const csvOf = async (asArrays: boolean) => {
      const source = await openRowSource(target, statement);
      const csv = new CsvReadable({ columns: source.columns.map((c) => c.name), header: true, binary: source.columns.map((c) => c.kind === 'binary') });
      const sink = asArrays ? { add: (row: (string | Buffer | null)[]) => csv.add(row), waitForReader: () => csv.waitForReader() } : csv;
      const chunks: Buffer[] = [];
      csv.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = new Promise((resolve) => csv.once('end', resolve));
      await source.pump(sink);
      csv.finish();
      await ended;
      await source.close();
      return Buffer.concat(chunks);
    };
    try {
      const fromPackets = await csvOf(false);
      expect(fromPackets.equals(await csvOf(true))).toBe(true);
      const lines = fromPackets.toString('utf8').split('\n');
      expect(lines[0]).toBe('id,n,e,len2,len3,bytes,marker,ko');
      expect(lines[1]).toBe(`1,,"","${'ab,""c'.repeat(60)}",${'x'.repeat(70000)},\\x00ff2c220a5c2e,"\\.",한국어`);
      expect(lines[2]).toBe('2,n,,,,\\x,,');
      expect(lines[3]).toBe(`3,,,,${'y'.repeat(16777216)},,,`);
    } finally {
      await fresh.end();
      await pool.query('SET GLOBAL max_allowed_packet = DEFAULT');
    }
  });

  it('reads the warehouse too (a cursor, values bound), with a custom delimiter', async () => {
    await h.pg("INSERT INTO raw_data.nps VALUES (1, '2021-02-05 01:00:00', 9), (2, '2021-02-06 01:00:00', 1)");
    const run = await h.runOperator(sqlToS3({ sqlConnId: 'redshift', query: "SELECT id, score, GETDATE() IS NOT NULL AS ok FROM raw_data.nps WHERE created_at < '{{ ds }} 23:59:59'", s3Key: 'wh.csv', delimiter: '|', replace: true }));
    expect(run.error).toBeUndefined();
    expect(await h.s3Text('wh.csv')).toBe('id|score|ok\n1|9|t\n');
  });

  it('a failing query leaves no object', async () => {
    const run = await h.runOperator(sqlToS3({ query: 'SELECT * FROM prod.no_such_table', s3Key: 'never.csv' }));
    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/no_such_table/);
    await expect(h.s3Text('never.csv')).rejects.toThrow();
  });

  it('a fault mid-stream (after the first 64 KB chunk) fails the task, writes no object and leaves the pool usable', async () => {
    const big = sqlToS3({ query: "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i, REPEAT('x', 1000) AS pad FROM n", s3Key: 'cut.csv' });
    let chunks = 0;
    const faulty = { ...big, execute: (ctx: Parameters<typeof big.execute>[0], args: Parameters<typeof big.execute>[1]) => big.execute({ ...ctx, faultPoint: (site: string) => { if (site === 'extract' && ++chunks === 2) throw new Error('injected fault at extract'); } }, args) };
    const run = await h.runOperator(faulty);
    expect(run.error).toContain('injected fault at extract');
    expect(run.error).toContain('The object was not written');
    await expect(h.s3Text('cut.csv')).rejects.toThrow();
    const again = await h.runOperator(big);
    expect(again.value).toMatchObject({ rows: 500 });
  });
});

describe('s3ToWarehouse (S3ToRedshiftOperator)', () => {
  const load = (key: string, extra: object = {}) =>
    h.runOperator(s3ToWarehouse({ s3Key: key, schema: 'raw_data', table: 'nps', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'UPSERT', ...extra }));

  it('UPSERT replaces rows by the primary key (the default keys) and keeps the others', async () => {
    await h.pg("INSERT INTO raw_data.nps VALUES (1, '2021-02-01 00:00:00', 1), (2, '2021-02-01 00:00:00', 2)");
    await put('u.csv', 'id,created_at,score\n2,2021-02-05 10:00:00,9\n3,2021-02-05 11:00:00,8\n');
    const run = await load('u.csv');
    expect(run.value).toMatchObject({ method: 'UPSERT', rows: 2, replaced: 1 });
    expect(await h.pg('SELECT id, score FROM raw_data.nps ORDER BY id')).toEqual([
      { id: '1', score: '1' },
      { id: '2', score: '9' },
      { id: '3', score: '8' },
    ]);
  });

  it('repeated keys in the new rows are an error naming them, unless upsertOrderBy picks the newest', async () => {
    await put('dup.csv', 'id,created_at,score\n7,2021-02-05 10:00:00,1\n7,2021-02-05 12:00:00,2\n8,2021-02-05 10:00:00,3\n');
    const failed = await load('dup.csv');
    expect(failed.state).toBe('failed');
    expect(failed.error).toContain('the new rows hold the same key more than once: (id=7) x2');
    expect(await h.pg('SELECT * FROM raw_data.nps')).toEqual([]);
    const newest = await load('dup.csv', { upsertOrderBy: 'created_at' });
    expect(newest.error).toBeUndefined();
    expect(await h.pg('SELECT id, score FROM raw_data.nps ORDER BY id')).toEqual([
      { id: '7', score: '2' },
      { id: '8', score: '3' },
    ]);
  });

  it('NULL keys, missing keys and unsupported copy options are errors; the table stays as it was', async () => {
    await h.pg("INSERT INTO raw_data.nps VALUES (1, '2021-02-01 00:00:00', 1)");
    await put('ok.csv', 'id,created_at,score\n1,2021-02-05 10:00:00,9\n');
    const noKey = await h.runOperator(s3ToWarehouse({ s3Key: 'ok.csv', schema: 'raw_data', table: 'edge_values_nokey', copyOptions: ['CSV'], method: 'UPSERT' }));
    expect(noKey.state).toBe('failed');
    const badOption = await load('ok.csv', { copyOptions: ['CSV', 'IGNOREHEADER 1', 'TRUNCATECOLUMNS'] });
    expect(badOption.error).toContain("option TRUNCATECOLUMNS is not supported by dagbox's Redshift stand-in");
    await h.pg('CREATE TABLE raw_data.keyless (id INT, score INT)');
    const keyless = await h.runOperator(s3ToWarehouse({ s3Key: 'ok.csv', schema: 'raw_data', table: 'keyless', columnList: ['id', 'score'], copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'UPSERT' }));
    expect(keyless.error).toContain('needs keys: give upsertKeys');
    expect(await h.pg('SELECT id, score FROM raw_data.nps')).toEqual([{ id: '1', score: '1' }]);
  });

  it('APPEND adds rows; REPLACE swaps them, and a fault injected mid-load leaves the table as it was', async () => {
    await put('a.csv', 'id,created_at,score\n1,2021-02-05 10:00:00,9\n');
    await load('a.csv', { method: 'APPEND' });
    await put('b.csv', 'id,created_at,score\n2,2021-02-05 10:00:00,5\n3,2021-02-05 10:00:00,6\n');
    const faulty = s3ToWarehouse({ s3Key: 'b.csv', schema: 'raw_data', table: 'nps', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'REPLACE' });
    const failing = { ...faulty, execute: (ctx: Parameters<typeof faulty.execute>[0], args: Parameters<typeof faulty.execute>[1]) => faulty.execute({ ...ctx, faultPoint: (site: string) => { if (site === 'copy') throw new Error('injected fault at copy'); } }, args) };
    const run = await h.runOperator(failing);
    expect(run.error).toContain('injected fault at copy');
    expect(await h.pg('SELECT id FROM raw_data.nps')).toEqual([{ id: '1' }]);
    await load('b.csv', { method: 'REPLACE' });
    expect(await h.pg('SELECT id FROM raw_data.nps ORDER BY id')).toEqual([{ id: '2' }, { id: '3' }]);
  });
});

describe('REPLACE empties the table inside its transaction', () => {
  const replace = async () => {
    await put('r.csv', 'id,created_at,score\n5,2021-02-05 10:00:00,1\n');
    return h.runOperator(s3ToWarehouse({ s3Key: 'r.csv', schema: 'raw_data', table: 'nps', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'REPLACE' }));
  };
  beforeEach(() => h.pg("INSERT INTO raw_data.nps VALUES (1, '2021-02-01 00:00:00', 1)"));

  it('with a TRUNCATE that a failed load rolls back', async () => {
    expect((await replace()).log).toContain('REPLACE "raw_data"."nps": emptied (TRUNCATE), 1 row(s) loaded, in one transaction');
    expect(await h.pg('SELECT id FROM raw_data.nps')).toEqual([{ id: '5' }]);
    await put('bad.csv', 'id,created_at,score\n6,2021-02-05 10:00:00,1\nseven,2021-02-05 10:00:00,1\n');
    const bad = await h.runOperator(s3ToWarehouse({ s3Key: 'bad.csv', schema: 'raw_data', table: 'nps', copyOptions: ['CSV', 'IGNOREHEADER 1'], method: 'REPLACE' }));
    expect(bad.error).toContain('failed, and the table was left as it was: COPY "raw_data"."nps" from s3://dagbox/bad.csv failed: invalid input syntax for type integer: "seven"');
    expect(await h.pg('SELECT id FROM raw_data.nps')).toEqual([{ id: '5' }]);
  });

  it('with DELETE while another session reads the table, which keeps seeing the old rows until it is done', async () => {
    const reader = await h.session.clients.postgres!.pool.connect();
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      expect((await reader.query('SELECT id FROM raw_data.nps')).rows).toEqual([{ id: 1 }]);
      expect((await replace()).log).toContain('emptied (DELETE: another session is using the table), 1 row(s) loaded');
      expect((await reader.query('SELECT id FROM raw_data.nps')).rows).toEqual([{ id: 1 }]);
      await reader.query('COMMIT');
    } finally {
      reader.release();
    }
    expect(await h.pg('SELECT id FROM raw_data.nps')).toEqual([{ id: '5' }]);
  });

  it('with DELETE when a foreign key points at the table or it has a DELETE trigger', async () => {
    // Changed by issue 11: the primary key is informational (its index never unique), so the
    // foreign key, made through plain Postgres, needs a unique index of its own.
    await h.pg('CREATE UNIQUE INDEX nps_id_enforced ON raw_data.nps (id)');
    await h.pg('CREATE TABLE raw_data.nps_notes (nps_id BIGINT REFERENCES raw_data.nps (id))');
    expect((await replace()).log).toContain('emptied (DELETE: cannot truncate a table referenced in a foreign key constraint)');
    await h.pg('DROP TABLE raw_data.nps_notes');
    await h.pg('DROP INDEX raw_data.nps_id_enforced');
    await h.pg('CREATE TABLE raw_data.nps_deleted (id BIGINT)');
    await h.pg('CREATE FUNCTION raw_data.keep_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO raw_data.nps_deleted VALUES (OLD.id); RETURN OLD; END $$');
    await h.pg('CREATE TRIGGER keep_deleted BEFORE DELETE ON raw_data.nps FOR EACH ROW EXECUTE FUNCTION raw_data.keep_deleted()');
    expect((await replace()).log).toContain('emptied (DELETE: the table has a DELETE trigger)');
    expect(await h.pg('SELECT id FROM raw_data.nps_deleted')).toEqual([{ id: '5' }]);
  });
});

describe('sqlToSql (GenericTransfer)', () => {
  it('MySQL -> warehouse with UPSERT, then warehouse -> MySQL with UPSERT', async () => {
    const toWarehouse = await h.runOperator(
      sqlToSql({ sourceConnId: 'mysql', sql: "SELECT id, created_at, score FROM prod.nps WHERE DATE(created_at) = '{{ ds }}'", destinationConnId: 'redshift', destinationTable: 'raw_data.nps', method: 'UPSERT' }),
    );
    expect(toWarehouse.value).toMatchObject({ rows: 6, method: 'UPSERT' });
    const fromMysql = await h.mysql("SELECT id, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s') AS created_at, score FROM prod.nps WHERE DATE(created_at) = '2021-02-05' ORDER BY id");
    expect(await h.pg('SELECT id, created_at, score FROM raw_data.nps ORDER BY id')).toEqual(fromMysql);

    await h.pg('UPDATE raw_data.nps SET score = 10 WHERE id = $1', [fromMysql[0]!.id]);
    const back = await h.runOperator(sqlToSql({ sourceConnId: 'redshift', sql: 'SELECT id, created_at, score FROM raw_data.nps', destinationConnId: 'mysql', destinationTable: 'prod.nps', method: 'UPSERT' }));
    expect(back.value).toMatchObject({ rows: 6, replaced: 6 });
    expect(await h.mysql('SELECT score FROM prod.nps WHERE id = ?', [fromMysql[0]!.id])).toEqual([{ score: '10' }]);
    expect(await h.mysql('SELECT COUNT(*) AS n FROM prod.nps')).toEqual([{ n: '28' }]);
  });

  it('repeated keys going to MySQL are an error, and MySQL is left as it was', async () => {
    const run = await h.runOperator(sqlToSql({ sourceConnId: 'redshift', sql: 'SELECT 1 AS id, NOW() AS created_at, 1 AS score UNION ALL SELECT 1, NOW(), 2', destinationConnId: 'mysql', destinationTable: 'prod.nps', method: 'UPSERT' }));
    expect(run.error).toContain('the new rows hold the same key more than once: (id=1) x2');
    expect(await h.mysql('SELECT COUNT(*) AS n FROM prod.nps')).toEqual([{ n: '28' }]);
  });
});
