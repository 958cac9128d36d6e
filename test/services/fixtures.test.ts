import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FixtureError, loadFixtures, splitSql } from '../../src/services/fixtures/index.ts';
import { dumpMysql, dumpPostgres, dumpS3, startTestServices, type TestServices } from './fixture-helpers.ts';

let svc: TestServices;
let root: string;

beforeEach(async () => {
  svc = await startTestServices();
  root = await mkdtemp(join(tmpdir(), 'dgbx-fixtures-'));
});

afterEach(async () => {
  await svc?.close();
  await rm(root, { recursive: true, force: true });
});

/** Write `files` (path relative to the fixtures folder → content) and return the folder. */
async function fixtures(files: Record<string, string>): Promise<string> {
  const dir = join(root, 'fixtures');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const extraDb = () => `${svc.mysql.database}_extra`;
const otherBucket = () => `raw-${svc.id}`;

async function buckets(): Promise<string[]> {
  return ((await svc.s3.client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).sort();
}

/** Everything loadFixtures could have touched in these tests. */
async function dumpAll() {
  return {
    mysql: await dumpMysql(svc.mysql.pool, [svc.mysql.database, extraDb()]),
    postgres: await dumpPostgres(svc.postgres.pool),
    s3: await dumpS3(svc.s3.client, [svc.s3.bucket, otherBucket()]),
    buckets: await buckets(),
  };
}

/** A good fixture set for every service; `overrides` replace or add files. */
function goodFiles(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'mysql/001_schema.sql': `-- users; the semicolon in this comment must not split
CREATE TABLE users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NULL,
  note TEXT NULL
) DEFAULT CHARSET = utf8mb4;
CREATE TABLE audit (msg VARCHAR(200));
DELIMITER //
CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW
BEGIN
  INSERT INTO audit VALUES (CONCAT('user; ', NEW.id));
END//
DELIMITER ;
CREATE DATABASE \`${extraDb()}\`;
CREATE TABLE \`${extraDb()}\`.orders (id INT PRIMARY KEY, amount DECIMAL(10,2));
`,
    'mysql/users.csv': 'id,name,note\n1,김철수,"it\'s ""quoted"""\n2,,""\n3,"two\nlines",x\n',
    [`mysql/${extraDb()}.orders.csv`]: 'id,amount\n1,9.50\n2,\n',
    'postgres/001_schema.sql': `CREATE SCHEMA raw_data;
CREATE TABLE raw_data.nps (id SERIAL PRIMARY KEY, score INT NOT NULL, comment TEXT, created_at DATE);
CREATE FUNCTION raw_data.grade(s INT) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
  IF s >= 9 THEN RETURN 'promoter;'; END IF;
  RETURN E'other\\'s';
END $$;
`,
    'postgres/raw_data.nps.csv': 'id,score,comment,created_at\n1,9,좋아요,2021-02-05\n2,3,"",2021-02-05\n5,7,,\n',
    's3/_/nps/2021-02-05.csv': 'id,score\n1,9\n',
    's3/_/한글/파일 이름.txt': '안녕하세요',
    [`s3/raw-${svc.id}/a/b.json`]: '{"ok":true}',
    ...overrides,
  };
}

describe('loadFixtures: good fixtures', () => {
  it('loads SQL, CSV (NULL vs "", Korean text, quotes) and S3 objects, and reports each file', async () => {
    const dir = await fixtures(goodFiles());
    const report = await loadFixtures(dir, svc);

    const byFile = Object.fromEntries(report.files.map((f) => [f.file.slice(dir.length + 1), f]));
    expect(byFile['mysql/001_schema.sql']).toMatchObject({ kind: 'sql', statements: 5 });
    expect(byFile['mysql/users.csv']).toMatchObject({ kind: 'csv', rows: 3, target: `${svc.mysql.database}.users` });
    expect(byFile['postgres/raw_data.nps.csv']).toMatchObject({ kind: 'csv', rows: 3, target: 'raw_data.nps' });
    expect(byFile['s3/_/한글/파일 이름.txt']).toMatchObject({ kind: 'object', objects: 1, target: `s3://${svc.s3.bucket}/한글/파일 이름.txt` });
    expect(report).toMatchObject({ rows: 3 + 2 + 3, objects: 3 });
    for (const f of report.files) expect(f.ms).toBeGreaterThanOrEqual(0);

    const [users] = await svc.mysql.pool.query('SELECT id, name, note FROM users ORDER BY id');
    expect(users).toEqual([
      { id: 1, name: '김철수', note: 'it\'s "quoted"' },
      { id: 2, name: null, note: '' },
      { id: 3, name: 'two\nlines', note: 'x' },
    ]);
    const [audit] = await svc.mysql.pool.query('SELECT msg FROM audit ORDER BY msg');
    expect(audit).toEqual([{ msg: 'user; 1' }, { msg: 'user; 2' }, { msg: 'user; 3' }]);
    const [orders] = await svc.mysql.pool.query(`SELECT id, amount FROM \`${extraDb()}\`.orders ORDER BY id`);
    expect(orders).toEqual([{ id: 1, amount: '9.50' }, { id: 2, amount: null }]);

    const nps = await svc.postgres.pool.query('SELECT id, score, comment, raw_data.grade(score) AS grade FROM raw_data.nps ORDER BY id');
    expect(nps.rows).toEqual([
      { id: 1, score: 9, comment: '좋아요', grade: 'promoter;' },
      { id: 2, score: 3, comment: '', grade: "other's" },
      { id: 5, score: 7, comment: null, grade: "other's" },
    ]);
    // The serial's sequence moved past the loaded ids, as AUTO_INCREMENT does in MySQL.
    const next = await svc.postgres.pool.query("INSERT INTO raw_data.nps (score) VALUES (1) RETURNING id");
    expect(next.rows).toEqual([{ id: 6 }]);

    const got = await svc.s3.client.send(new GetObjectCommand({ Bucket: svc.s3.bucket, Key: '한글/파일 이름.txt' }));
    expect(await got.Body!.transformToString()).toBe('안녕하세요');
    expect(got.ContentType).toBe('text/plain');
    const head = await svc.s3.client.send(new HeadObjectCommand({ Bucket: otherBucket(), Key: 'a/b.json' }));
    expect(head.ContentType).toBe('application/json');
  });
});

describe('loadFixtures: a bad fixture leaves every service as it was', () => {
  /** Load `files`, expect a FixtureError, and check nothing changed anywhere. */
  async function expectFailure(files: Record<string, string>): Promise<FixtureError> {
    const before = await dumpAll();
    const dir = await fixtures(files);
    const error = await loadFixtures(dir, svc).then(
      () => expect.fail('loadFixtures should have failed'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FixtureError);
    expect((error as FixtureError).rolledBack).toBe(true);
    expect((error as FixtureError).message).toMatch(/Nothing was loaded: every service is as it was before loading\./);
    expect(await dumpAll()).toEqual(before);
    return error as FixtureError;
  }

  it('names file:line and the error for a Postgres syntax error, after good statements ran', async () => {
    const error = await expectFailure(
      goodFiles({
        'postgres/002_more.sql': 'CREATE TABLE raw_data.ok (x INT);\n\n-- the next statement is wrong\nINSERT INTO raw_data.ok\n  VALUES (1);\nCRATE TABLE raw_data.bad (x INT);\n',
      }),
    );
    expect(error.file).toMatch(/postgres\/002_more\.sql$/);
    expect(error.line).toBe(6);
    expect(error.message).toMatch(/postgres\/002_more\.sql:6: syntax error at or near "CRATE" \[Postgres 42601\]\. Fix the statement/);
  });

  it('names the line inside a multi-line Postgres statement from the error position', async () => {
    const error = await expectFailure(goodFiles({ 'postgres/002_more.sql': 'SELECT 1;\nSELECT\n  1,\n  no_such_column\nFROM raw_data.nps;\n' }));
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/column "no_such_column" does not exist/);
  });

  it('names file:line and the error for a MySQL syntax error inside a multi-line statement', async () => {
    const error = await expectFailure(
      goodFiles({ 'mysql/002_more.sql': "INSERT INTO users (name) VALUES ('a; b');\nCREATE TABLE t2 (\n  id INT,\n  name VARCHAR(10) NOT NUL,\n  x INT\n);\n" }),
    );
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/mysql\/002_more\.sql:4: You have an error in your SQL syntax.*near 'NUL,.*' at line 3 \[MySQL error 1064, SQLSTATE 42000\]/s);
  });

  it('names the row and line of a CSV row Postgres rejects', async () => {
    const error = await expectFailure(goodFiles({ 'postgres/raw_data.nps.csv': 'id,score,comment\n1,9,a\n2,5,"x\ny"\n3,abc,c\n' }));
    expect(error).toMatchObject({ line: 5, row: 3 });
    expect(error.message).toMatch(/raw_data\.nps\.csv:5 \(data row 3\): invalid input syntax for type integer: "abc"/);
  });

  it('names the row of a CSV row MySQL rejects, found among a batch', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i + 1},n${i}`);
    rows[29] = '10,duplicate id';
    const error = await expectFailure(goodFiles({ 'mysql/users.csv': `id,name\n${rows.join('\n')}\n` }));
    expect(error).toMatchObject({ row: 30, line: 31 });
    expect(error.message).toMatch(/users\.csv:31 \(data row 30\): Duplicate entry '10'/);
  });

  it('names the row of a CSV that does not parse', async () => {
    const error = await expectFailure(goodFiles({ 'mysql/users.csv': 'id,name,note\n1,a,b\n2,c\n' }));
    expect(error).toMatchObject({ line: 3, row: 2 });
    expect(error.message).toMatch(/the CSV does not parse: Invalid Record Length/);
  });

  it('names the missing table of a CSV fixture and says to create it', async () => {
    const error = await expectFailure(goodFiles({ 'postgres/raw_data.missing.csv': 'a\n1\n' }));
    expect(error.message).toMatch(/raw_data\.missing\.csv:1: expected table raw_data\.missing to exist .*found no such table\. Create it in a fixtures\/postgres\/\*\.sql file/);
  });

  it('refuses BEGIN/COMMIT in Postgres fixtures', async () => {
    const error = await expectFailure(goodFiles({ 'postgres/002_tx.sql': 'SELECT 1;\nCOMMIT;\n' }));
    expect(error).toMatchObject({ line: 2 });
    expect(error.message).toMatch(/found COMMIT, which would end the transaction/);
  });

  it('undoes loaded rows in pre-existing tables, replaced objects and created buckets', async () => {
    await svc.mysql.pool.query('CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(100) NULL, note TEXT NULL)');
    await svc.mysql.pool.query("INSERT INTO users VALUES (100, 'kept', NULL)");
    await svc.s3.client.send(new PutObjectCommand({ Bucket: svc.s3.bucket, Key: 'nps/2021-02-05.csv', Body: 'the old content' }));
    const files = goodFiles({ 'postgres/raw_data.nps.csv': 'id,score\n1,oops\n' });
    delete files['mysql/001_schema.sql'];
    delete files[`mysql/${extraDb()}.orders.csv`];
    files['mysql/002_alter.sql'] = 'ALTER TABLE users ADD COLUMN extra INT;\nDROP TABLE IF EXISTS nothing_here;\n';
    await expectFailure(files);
  });

  it('undoes a database created by MySQL fixtures when a later file fails', async () => {
    const error = await expectFailure(goodFiles({ 'mysql/users.csv': 'id,name\n1,\n1,again\n' }));
    expect(error.service).toBe('mysql');
    expect((await dumpAll()).mysql).toMatchObject({ [extraDb()]: null });
  });
});

describe('loadFixtures: folders and services', () => {
  it('names a missing fixtures folder', async () => {
    await expect(loadFixtures(join(root, 'nope'), svc)).rejects.toThrow(/expected a fixtures folder at .*nope, but it does not exist/);
  });

  it('refuses fixtures for a service that was not given', async () => {
    const dir = await fixtures({ 's3/_/x.txt': 'x' });
    await expect(loadFixtures(dir, { mysql: svc.mysql })).rejects.toThrow(/fixtures were found for .*s3 \(1 file\(s\)\) but no s3 service was given/);
  });

  it('refuses an invalid bucket folder name without creating anything', async () => {
    const dir = await fixtures({ 's3/Bad_Bucket/x.txt': 'x' });
    await expect(loadFixtures(dir, svc)).rejects.toThrow(/bucket folder "Bad_Bucket" is not a valid S3 bucket name/);
  });
});

describe('splitSql', () => {
  it('keeps semicolons inside strings, identifiers and comments, and gives each statement its line', () => {
    const sql = "SELECT 'a;b', \"c;d\";\n-- x; y\n/* p; q */\nSELECT 2\n;\n\n;SELECT 3";
    expect(splitSql(sql, 'postgres')).toEqual([
      { text: 'SELECT \'a;b\', "c;d"', line: 1 },
      { text: 'SELECT 2', line: 4 },
      { text: 'SELECT 3', line: 7 },
    ]);
  });

  it('reads Postgres dollar quotes, nested comments and E-strings', () => {
    const sql = "DO $fn$ BEGIN PERFORM 1; END $fn$;\nSELECT $$a;b$$, E'it\\'s;', 'x\\';\n/* a /* b; */ c; */ SELECT $1;";
    expect(splitSql(sql, 'postgres').map((s) => s.text)).toEqual(['DO $fn$ BEGIN PERFORM 1; END $fn$', "SELECT $$a;b$$, E'it\\'s;', 'x\\'", 'SELECT $1']);
  });

  it('reads MySQL backslash escapes, backticks, # comments, DELIMITER and "--" only before a space', () => {
    const sql = "SELECT 'a\\';b', `x;y`; # c; d\nSELECT 5--3;\nDELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\ndelimiter ;\nSELECT /*! 1; */ 2;";
    expect(splitSql(sql, 'mysql')).toEqual([
      { text: "SELECT 'a\\';b', `x;y`", line: 1 },
      { text: 'SELECT 5--3', line: 2 },
      { text: 'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END', line: 4 },
      { text: 'SELECT /*! 1; */ 2', line: 6 },
    ]);
  });
});
