import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiffEngine } from '../../src/verify/diff.ts';
import { Keeper } from '../../src/verify/keeper.ts';
import { compareStates, StateReader, TableSettings, verifyDb, type StateFingerprint, type VerifySettings } from '../../src/verify/index.ts';
import { corpusDir, startTestSession, type TestSession } from './helpers.ts';

// Fingerprints are computed inside the databases: equal content gives equal fingerprints whatever
// the row order; any change of a value, a NULL, a duplicate or a column gives another one.

let t: TestSession;
const pg = (sql: string, values: unknown[] = []) => t.session.clients.postgres!.pool.query(sql, values);
const my = (sql: string, values: unknown[] = []) => t.session.clients.mysql!.pool.query(sql, values);
const reader = (settings: VerifySettings = {}) => new StateReader(verifyDb(t.session.clients), new TableSettings(settings));
const capture = (settings?: VerifySettings) => reader(settings).capture();
const fp = (s: StateFingerprint, name: string) => s.tables.get(name)!;

beforeAll(async () => {
  t = await startTestSession(join(corpusDir, 'no-fixtures'));
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await t.session.restore(t.fixtures);
});

describe('Postgres fingerprints', () => {
  it('are equal for the same rows in any order, and differ for a changed value, NULL vs empty, or a duplicate', async () => {
    await pg(`CREATE SCHEMA raw_data;
      CREATE TABLE raw_data.a (id INT PRIMARY KEY, name TEXT, score NUMERIC(4,1), at TIMESTAMPTZ, doc JSON);
      CREATE TABLE raw_data.b (LIKE raw_data.a);
      INSERT INTO raw_data.a VALUES (1, 'x', 1.5, '2021-02-05T00:00Z', '{"k": 1}'), (2, '', NULL, NULL, NULL), (3, NULL, 3, '2021-02-06T00:00Z', '[]');
      INSERT INTO raw_data.b VALUES (3, NULL, 3, '2021-02-06T00:00Z', '[]'), (1, 'x', 1.5, '2021-02-05T00:00Z', '{"k": 1}'), (2, '', NULL, NULL, NULL);`);
    const s = await capture();
    expect(fp(s, 'raw_data.a').hash).toBe(fp(s, 'raw_data.b').hash);
    expect(fp(s, 'raw_data.a').rows).toBe(3);
    expect(fp(s, 'raw_data.a').hash).toMatch(/^-?\d+:-?\d+$/);
    expect(fp(s, 'raw_data.a').primaryKey).toEqual(['id']);

    const variants = [
      "UPDATE raw_data.b SET name = NULL WHERE id = 2", // '' -> NULL
      "UPDATE raw_data.b SET score = 1.6 WHERE id = 1",
      'UPDATE raw_data.b SET doc = \'{"k": 2}\' WHERE id = 1', // json: hashed through its text
      "UPDATE raw_data.b SET id = 4 WHERE id = 3",
    ];
    for (const sql of variants) {
      await pg(sql);
      const after = await capture();
      expect(fp(after, 'raw_data.b').hash, sql).not.toBe(fp(s, 'raw_data.a').hash);
      await t.session.restore(t.fixtures);
      await pg(`CREATE SCHEMA raw_data; CREATE TABLE raw_data.b (id INT PRIMARY KEY, name TEXT, score NUMERIC(4,1), at TIMESTAMPTZ, doc JSON);
        INSERT INTO raw_data.b VALUES (3, NULL, 3, '2021-02-06T00:00Z', '[]'), (1, 'x', 1.5, '2021-02-05T00:00Z', '{"k": 1}'), (2, '', NULL, NULL, NULL);`);
    }
  });

  it('see a duplicated row even when the row count stays the same', async () => {
    await pg(`CREATE TABLE public.m (v INT); CREATE TABLE public.n (v INT);
      INSERT INTO public.m VALUES (1), (2); INSERT INTO public.n VALUES (1), (1);`);
    const s = await capture();
    expect(fp(s, 'public.m').rows).toBe(fp(s, 'public.n').rows);
    expect(fp(s, 'public.m').hash).not.toBe(fp(s, 'public.n').hash);
  });

  it('leave ignored columns out, and leave out dagbox\'s own dgbx_* schemas', async () => {
    await pg(`CREATE TABLE public.l (id INT PRIMARY KEY, loaded_at TIMESTAMPTZ DEFAULT now());
      INSERT INTO public.l (id) VALUES (1), (2);
      CREATE SCHEMA dgbx_verify_test; CREATE TABLE dgbx_verify_test.k1 AS SELECT 1 AS x;`);
    const settings = { ignore: { 'public.l': ['loaded_at'] } };
    const before = await capture(settings);
    expect([...before.tables.keys()]).toEqual(['public.l']);
    await pg("UPDATE public.l SET loaded_at = now() + interval '1 day'");
    expect(compareStates(before, await capture(settings)).tables).toEqual([]);
    expect(compareStates(await capture(), await capture()).tables).toEqual([]);
    await pg('UPDATE public.l SET id = 3 WHERE id = 2');
    expect(compareStates(before, await capture(settings)).tables.map((c) => [c.name, c.kind])).toEqual([['public.l', 'rows']]);
  });

  it('tell created, dropped, re-shaped and re-filled tables apart', async () => {
    await pg('CREATE TABLE public.keep (x INT); CREATE TABLE public.gone (x INT); CREATE TABLE public.shape (x INT)');
    const before = await capture();
    await pg('DROP TABLE public.gone; CREATE TABLE public.made (x INT); ALTER TABLE public.shape ADD COLUMN y INT; INSERT INTO public.keep VALUES (1)');
    const changes = compareStates(before, await capture());
    expect(changes.tables.map((c) => [c.name, c.kind])).toEqual([
      ['public.gone', 'dropped'],
      ['public.keep', 'rows'],
      ['public.made', 'created'],
      ['public.shape', 'schema'],
    ]);
    // For atomicity, an empty table that appears or disappears counts as nothing written.
    expect(compareStates(before, await capture(), { missingIsEmpty: true }).tables.map((c) => c.name)).toEqual(['public.keep', 'public.shape']);
  });
});

describe('MySQL fingerprints', () => {
  it('are order-independent, see NULL vs empty and duplicates, and cover the fixtures\' databases', async () => {
    await my('CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(10), at DATETIME)');
    await my('CREATE TABLE b (id INT PRIMARY KEY, name VARCHAR(10), at DATETIME)');
    await my("INSERT INTO a VALUES (1, 'x', '2021-02-05 00:00:00'), (2, '', NULL)");
    await my("INSERT INTO b VALUES (2, '', NULL), (1, 'x', '2021-02-05 00:00:00')");
    const s = await capture();
    expect(fp(s, 'mysql:dagbox.a').hash).toBe(fp(s, 'mysql:dagbox.b').hash);
    expect(fp(s, 'mysql:dagbox.a').primaryKey).toEqual(['id']);
    expect(s.tables.has('mysql:prod.nps')).toBe(false); // this session loaded no fixtures
    await my('UPDATE b SET name = NULL WHERE id = 2');
    expect(fp(await capture(), 'mysql:dagbox.b').hash).not.toBe(fp(s, 'mysql:dagbox.a').hash);
    await my('CREATE TABLE d1 (v INT)');
    await my('CREATE TABLE d2 (v INT)');
    await my('INSERT INTO d1 VALUES (1), (2)');
    await my('INSERT INTO d2 VALUES (1), (1)');
    const d = await capture();
    expect(fp(d, 'mysql:dagbox.d1').rows).toBe(2);
    expect(fp(d, 'mysql:dagbox.d1').hash).not.toBe(fp(d, 'mysql:dagbox.d2').hash);
  });
});

describe('S3 fingerprints', () => {
  it('record key, size and content hash, so a rewrite of the same size is seen', async () => {
    const { client, bucket } = t.session.clients.s3!;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'nps/2021-02-05.csv', Body: 'id\n1\n' }));
    const before = await capture();
    const o = before.objects.get(`s3://${bucket}/nps/2021-02-05.csv`)!;
    expect(o.size).toBe(5);
    expect(o.etag).toMatch(/^"?[0-9a-f]{32}"?$/);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'nps/2021-02-05.csv', Body: 'id\n2\n' }));
    expect(compareStates(before, await capture()).objects.map((c) => c.name)).toEqual([`s3://${bucket}/nps/2021-02-05.csv`]);
  });
});

describe('row-level diffs', () => {
  async function diffAround(mutate: () => Promise<unknown>, settings: VerifySettings = {}) {
    const db = verifyDb(t.session.clients);
    const ts = new TableSettings(settings);
    const r = new StateReader(db, ts);
    const keeper = new Keeper(db);
    const before = await r.capture();
    const kept = await keeper.keep('before', [...before.tables.values()]);
    await mutate();
    const after = await r.capture();
    try {
      return await new DiffEngine(db, ts).diff(compareStates(before, after), kept, { before: 'before', after: 'after' });
    } finally {
      await keeper.dispose();
    }
  }

  it('join on the primary key: counts, per-column match and the first differing rows side by side', async () => {
    await pg(`CREATE TABLE public.p (id INT PRIMARY KEY, score INT, note TEXT);
      INSERT INTO public.p SELECT g, g % 10, 'n' || g FROM generate_series(1, 10) g;`);
    const d = await diffAround(() => pg("DELETE FROM public.p WHERE id = 1; INSERT INTO public.p VALUES (11, 1, 'new'); UPDATE public.p SET score = 99 WHERE id IN (2, 3)"));
    const p = d.tables[0]!;
    expect(p.table).toBe('public.p');
    expect([p.keyKind, p.key]).toEqual(['primary key', ['id']]);
    expect([p.rowsBefore, p.rowsAfter, p.common, p.onlyBefore, p.onlyAfter, p.changed]).toEqual([10, 10, 9, 1, 1, 2]);
    expect(p.columns).toEqual([
      { column: 'score', matched: 7, percent: (7 / 9) * 100 },
      { column: 'note', matched: 9, percent: 100 },
    ]);
    expect(p.samples.map((s) => [s.kind, s.before?.id ?? s.after?.id, s.changedColumns])).toEqual([
      ['only-before', '1', []],
      ['changed', '2', ['score']],
      ['changed', '3', ['score']],
      ['only-after', '11', []],
    ]);
    expect(p.samples[1]!.before).toEqual({ id: '2', score: '2', note: 'n2' });
    expect(p.samples[1]!.after).toEqual({ id: '2', score: '99', note: 'n2' });
  });

  it('join keyless tables on declared keys, else on all columns, pairing duplicates one to one', async () => {
    await pg(`CREATE TABLE public.k (id INT, v TEXT); INSERT INTO public.k VALUES (1, 'a'), (2, 'b');
      CREATE TABLE public.all_cols (id INT, v TEXT); INSERT INTO public.all_cols VALUES (1, 'a'), (1, 'a');`);
    const d = await diffAround(() => pg("UPDATE public.k SET v = 'c' WHERE id = 2; INSERT INTO public.all_cols VALUES (1, 'a')"), { keys: { 'public.k': ['id'] } });
    const k = d.tables.find((x) => x.table === 'public.k')!;
    expect([k.keyKind, k.common, k.changed, k.onlyBefore, k.onlyAfter]).toEqual(['declared keys', 2, 1, 0, 0]);
    const all = d.tables.find((x) => x.table === 'public.all_cols')!;
    expect([all.keyKind, all.common, all.onlyBefore, all.onlyAfter]).toEqual(['all columns', 2, 0, 1]);
  });

  it('pair keyless rows that differ only in a timestamp, and say when it is the wall clock', async () => {
    await pg(`CREATE TABLE public.w (id INT, at TIMESTAMPTZ); INSERT INTO public.w VALUES (1, now()), (2, now());`);
    const d = await diffAround(() => pg("UPDATE public.w SET at = now() + interval '1 second'"));
    const w = d.tables[0]!;
    expect([w.keyKind, w.key, w.changed, w.onlyBefore, w.onlyAfter]).toEqual(['all other columns', ['id'], 2, 0, 0]);
    expect(w.hints[0]).toMatch(/public\.w\.at differs only in values near the wall-clock time/);
  });

  it('say when rows differ only in a generated key (loaded in another order)', async () => {
    await pg(`CREATE TABLE public.g (id SERIAL PRIMARY KEY, day DATE); INSERT INTO public.g (day) VALUES ('2021-02-05'), ('2021-02-06');`);
    const d = await diffAround(() => pg("TRUNCATE public.g; INSERT INTO public.g (id, day) VALUES (1, '2021-02-06'), (2, '2021-02-05')"));
    expect(d.tables[0]!.changed).toBe(2);
    expect(d.tables[0]!.hints.join('\n')).toMatch(/public\.g: the rows are the same apart from id, which the database generates/);
  });

  it('show added columns, and the rows of a created table', async () => {
    await pg(`CREATE TABLE public.s (id INT PRIMARY KEY); INSERT INTO public.s VALUES (1);`);
    const d = await diffAround(() => pg("ALTER TABLE public.s ADD COLUMN extra TEXT DEFAULT 'x'; CREATE TABLE public.fresh (id INT PRIMARY KEY); INSERT INTO public.fresh VALUES (7)"));
    const s = d.tables.find((x) => x.table === 'public.s')!;
    expect(s.schema.added.map((c) => c.name)).toEqual(['extra']);
    expect(s.changed).toBe(0);
    const fresh = d.tables.find((x) => x.table === 'public.fresh')!;
    expect([fresh.presence, fresh.onlyAfter, fresh.samples[0]!.after]).toEqual(['only-after', 1, { id: '7' }]);
  });

  it('diff MySQL tables the same way (no FULL JOIN there)', async () => {
    await my('CREATE TABLE q (id INT PRIMARY KEY, score INT)');
    await my('INSERT INTO q VALUES (1, 1), (2, 2), (3, 3)');
    const d = await diffAround(() => my('DELETE FROM q WHERE id = 1').then(() => my('UPDATE q SET score = 20 WHERE id = 2')).then(() => my('INSERT INTO q VALUES (4, 4)')));
    const q = d.tables[0]!;
    expect(q.table).toBe('mysql:dagbox.q');
    expect([q.common, q.onlyBefore, q.onlyAfter, q.changed]).toEqual([2, 1, 1, 1]);
    expect(q.samples.map((s) => [s.kind, s.before?.id ?? s.after?.id])).toEqual([
      ['only-before', '1'],
      ['changed', '2'],
      ['only-after', '4'],
    ]);
    expect(q.columns).toEqual([{ column: 'score', matched: 1, percent: 50 }]);
  });
});
