import { describe, expect, it } from 'vitest';
import { choosePoints } from '../../src/verify/checks/atomicity.ts';
import { FaultTracker, InjectedFault, isWriteSql } from '../../src/verify/faults.ts';
import { parseDbTime, wallClockHint } from '../../src/verify/hints.ts';
import { shuffle, TableSettings } from '../../src/verify/index.ts';
import { matchesTable } from '../../src/verify/settings.ts';
import { timeBounds } from '../../src/verify/rules.ts';

describe('isWriteSql', () => {
  it('counts statements that write or end a transaction, not reads', () => {
    for (const sql of ['INSERT INTO t VALUES (1)', '  delete from t', 'UPDATE t SET a = 1', 'CREATE TABLE t (a int)', 'COPY t FROM STDIN', 'TRUNCATE t', 'COMMIT', '-- note\nINSERT INTO t SELECT 1', 'WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x']) {
      expect(isWriteSql(sql), sql).toBe(true);
    }
    for (const sql of ['SELECT 1', 'BEGIN', 'COPY (SELECT 1) TO STDOUT', 'WITH x AS (SELECT 1) SELECT * FROM x', 'SET LOCAL TIME ZONE UTC', '/* c */ SELECT 2']) {
      expect(isWriteSql(sql), sql).toBe(false);
    }
  });
});

describe('FaultTracker', () => {
  it('throws at the chosen faultPoint call, once', () => {
    const t = new FaultTracker('load', { kind: 'site', site: 'copy', occurrence: 2 });
    t.site('copy', 100);
    expect(() => t.site('copy', 200)).toThrow(InjectedFault);
    expect(t.fired?.message).toBe('injected failure in task "load" at faultPoint "copy" (call 2, after 200 rows) (dagbox verification, check 4: atomicity under failure)');
    expect(() => t.site('copy', 300)).not.toThrow();
  });

  it('counts a COMMIT as a write only after a write on the same connection, and poisons a killed connection', () => {
    const record = new FaultTracker('t', null);
    const conn = {};
    record.operation('BEGIN', false, conn);
    record.operation('COMMIT', true, conn); // a read-only transaction
    record.operation('INSERT INTO x VALUES (1)', true, conn);
    record.operation('COMMIT', true, conn);
    expect(record.ops.writes).toEqual(['INSERT INTO x VALUES (1)', 'COMMIT']);

    const inject = new FaultTracker('t', { kind: 'write', index: 2, what: 'COMMIT' });
    inject.operation('INSERT INTO x VALUES (1)', true, conn);
    expect(() => inject.operation('COMMIT', true, conn)).toThrow(/before write 2 \(COMMIT\)/);
    expect(inject.isPoisoned(conn)).toBe(true);
    expect(() => inject.operation('ROLLBACK', false, conn)).toThrow(InjectedFault);
  });
});

describe('choosePoints', () => {
  it('picks each site at its middle call and up to three writes after the first', () => {
    const ops = { taskId: 'load', sites: new Map([['copy', { count: 5, rows: [10, 20, 30, 40, 50] }]]), writes: ['CREATE', 'DELETE', 'INSERT', 'INSERT', 'COMMIT'] };
    expect(choosePoints(ops)).toEqual([
      { kind: 'site', site: 'copy', occurrence: 3, rows: 30 },
      { kind: 'write', index: 2, what: 'DELETE' },
      { kind: 'write', index: 4, what: 'INSERT' },
      { kind: 'write', index: 5, what: 'COMMIT' },
    ]);
    expect(choosePoints({ taskId: 'x', sites: new Map(), writes: ['INSERT'] })).toEqual([]);
  });
});

describe('settings', () => {
  it('match tables by schema.table, backend:schema.table or bare name, the DAG winning over the config', () => {
    const pgNps = { backend: 'postgres' as const, schema: 'raw_data', table: 'nps' };
    const myNps = { backend: 'mysql' as const, schema: 'prod', table: 'nps' };
    expect(matchesTable('raw_data.nps', pgNps)).toBe(true);
    expect(matchesTable('nps', myNps)).toBe(true);
    expect(matchesTable('mysql:prod.nps', myNps)).toBe(true);
    expect(matchesTable('mysql:prod.nps', { ...myNps, backend: 'postgres' })).toBe(false);
    expect(matchesTable('raw_data.nps', myNps)).toBe(false);
    const s = new TableSettings({ keys: { 'raw_data.nps': ['a'] }, ignore: { nps: ['x'] } }, { keys: { 'raw_data.nps': ['b'] }, exclude: ['raw_data.tmp_*', 's3://*/scratch/*'] });
    expect(s.keyColumns(pgNps)).toEqual(['b']);
    expect(s.ignoredColumns(myNps)).toEqual(['x']);
    expect(s.excludesTable({ backend: 'postgres', schema: 'raw_data', table: 'tmp_stage' })).toBe(true);
    expect(s.excludesObject('dagbox', 'scratch/a.csv')).toBe(true);
    expect(s.excludesObject('dagbox', 'nps/a.csv')).toBe(false);
  });
});

describe('shuffle', () => {
  it('gives the same order for the same seed, and another for another seed', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(shuffle(items, 7)).toEqual(shuffle(items, 7));
    expect(shuffle(items, 7)).not.toEqual(shuffle(items, 8));
    expect([...shuffle(items, 7)].sort((a, b) => a - b)).toEqual(items);
  });
});

describe('time helpers', () => {
  it('parse database timestamps in their usual spellings', () => {
    expect(parseDbTime('2021-02-05 01:02:03.456+00')).toBe(Date.parse('2021-02-05T01:02:03.456Z'));
    expect(parseDbTime('2021-02-05 01:02:03+09')).toBe(Date.parse('2021-02-04T16:02:03Z'));
    expect(parseDbTime('2021-02-05')).toBe(Date.parse('2021-02-05T00:00:00Z'));
    expect(parseDbTime('not a time')).toBeNull();
  });

  it('give the wall-clock hint only for timestamps near now', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    const col = { name: 'loaded_at', type: 'timestamptz', family: 'timestamp' as const, generated: false };
    const row = (b: string, a: string) => ({ kind: 'changed' as const, before: { loaded_at: b }, after: { loaded_at: a }, changedColumns: ['loaded_at'] });
    expect(wallClockHint('raw_data.nps', col, [row('2025-06-01 11:59:00+00', '2025-06-01 12:00:00+00')], now)).toMatch(/raw_data\.nps\.loaded_at differs only/);
    expect(wallClockHint('raw_data.nps', col, [row('2021-02-05 00:00:00+00', '2021-02-06 00:00:00+00')], now)).toBeNull();
  });

  it('bound an interval for dates, timestamps and epochs', () => {
    const b = timeBounds({ start: new Date('2021-02-05T01:00:00Z'), end: new Date('2021-02-05T02:00:00Z') });
    expect([b.fromDate, b.toDate, b.fromUtc, b.toEpoch]).toEqual(['2021-02-05', '2021-02-06', '2021-02-05 01:00:00.000', Date.parse('2021-02-05T02:00:00Z') / 1000]);
  });
});
