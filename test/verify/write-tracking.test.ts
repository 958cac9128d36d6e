import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientConfig } from '../../src/services/postgres/client.ts';
import { StateReader, TableSettings, verifyDb, type StateFingerprint } from '../../src/verify/index.ts';
import { corpusDir, startTestSession, type TestSession } from './helpers.ts';

// Verification cost follows what a run writes (issue 15): a warehouse table no statement wrote
// since a fingerprint of the same content is proven untouched from its write marks and catalog
// state, without being read; a write through any path still changes its fingerprint.

let t: TestSession;
const pool = () => t.session.clients.postgres!.pool;
const sql = (text: string) => pool().query(text);

/** A capture, and the tables whose rows it read (seen in the statements sent to the server). */
async function capture(): Promise<{ state: StateFingerprint; read: string[] }> {
  const p = pool();
  const sent: string[] = [];
  const query = p.query.bind(p) as (...args: unknown[]) => unknown;
  (p as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    if (typeof args[0] === 'string') sent.push(args[0]);
    return query(...args);
  };
  try {
    const state = await new StateReader(verifyDb(t.session.clients), new TableSettings()).capture();
    const read = ['big', 'small'].filter((name) => sent.some((s) => s.includes(`FROM "raw_data"."${name}"`)));
    return { state, read };
  } finally {
    delete (p as unknown as { query?: unknown }).query;
  }
}
/** Run SQL on a connection of its own, as a task's second client would. */
async function onSecondConnection(text: string): Promise<void> {
  const other = new pg.Client(clientConfig(t.session.services!.postgres));
  other.on('error', () => {});
  await other.connect();
  try {
    await other.query(text);
  } finally {
    await other.end();
  }
}
const hashOf = (s: StateFingerprint, name: string) => `${s.tables.get(name)?.rows}:${s.tables.get(name)?.hash}`;

beforeAll(async () => {
  t = await startTestSession(join(corpusDir, 'no-fixtures'));
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await t.session.restore(t.fixtures);
  await sql(`CREATE SCHEMA raw_data;
    CREATE TABLE raw_data.big (id int PRIMARY KEY, v text);
    INSERT INTO raw_data.big SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
    CREATE TABLE raw_data.small (id int, v text);
    INSERT INTO raw_data.small VALUES (1, 'a');`);
});

describe('warehouse write tracking', () => {
  it('hashes every table once, then reads only the tables written since', async () => {
    const first = await capture();
    expect(first.read).toEqual(['big', 'small']);
    await sql("INSERT INTO raw_data.small VALUES (2, 'b')");
    const second = await capture();
    expect(second.read).toEqual(['small']);
    expect(hashOf(second.state, 'raw_data.big')).toBe(hashOf(first.state, 'raw_data.big'));
    expect(hashOf(second.state, 'raw_data.small')).not.toBe(hashOf(first.state, 'raw_data.small'));
    const third = await capture();
    expect(third.read).toEqual([]);
    expect(hashOf(third.state, 'raw_data.small')).toBe(hashOf(second.state, 'raw_data.small'));
  });

  it('sees writes through a second connection, TRUNCATE, a rewrite without DML, COPY and replica mode; not a rolled-back one', async () => {
    const before = await capture();
    const changes = [
      "UPDATE raw_data.big SET v = 'x' WHERE id = 7",
      'TRUNCATE raw_data.big',
      'ALTER TABLE raw_data.big ALTER COLUMN v TYPE text USING upper(v)',
      'SET session_replication_role = replica; DELETE FROM raw_data.big WHERE id = 8; SET session_replication_role = origin',
      "COPY raw_data.big FROM PROGRAM 'echo 9999,z' WITH (FORMAT csv)",
    ];
    for (const change of changes) {
      await onSecondConnection(change);
      const after = await capture();
      expect(after.read, change).toContain('big');
      expect(hashOf(after.state, 'raw_data.big'), change).not.toBe(hashOf(before.state, 'raw_data.big'));
      await t.session.restore(t.fixtures);
      await sql(`CREATE SCHEMA raw_data; CREATE TABLE raw_data.big (id int PRIMARY KEY, v text);
        INSERT INTO raw_data.big SELECT g, md5(g::text) FROM generate_series(1, 5000) g; CREATE TABLE raw_data.small (id int, v text); INSERT INTO raw_data.small VALUES (1, 'a');`);
      await capture();
    }
    const settled = await capture();
    await onSecondConnection("BEGIN; UPDATE raw_data.big SET v = 'y'; ROLLBACK");
    const rolledBack = await capture();
    expect(rolledBack.read).toEqual([]);
    expect(hashOf(rolledBack.state, 'raw_data.big')).toBe(hashOf(settled.state, 'raw_data.big'));
  });

  it('gives the snapshot content back after a restore, without reading tables no one wrote', async () => {
    await capture();
    const snap = await t.session.snapshot('tracked');
    try {
      const atSnap = await capture();
      await sql("DELETE FROM raw_data.small; INSERT INTO raw_data.small VALUES (3, 'c')");
      const written = await capture();
      expect(hashOf(written.state, 'raw_data.small')).not.toBe(hashOf(atSnap.state, 'raw_data.small'));
      await t.session.restore(snap);
      const restored = await capture();
      expect(restored.read).toEqual([]);
      expect(hashOf(restored.state, 'raw_data.small')).toBe(hashOf(atSnap.state, 'raw_data.small'));
      expect(hashOf(restored.state, 'raw_data.big')).toBe(hashOf(atSnap.state, 'raw_data.big'));
    } finally {
      await t.session.dropSnapshot(snap);
    }
  });
});
