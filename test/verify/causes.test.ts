import { describe, expect, it } from 'vitest';
import { causeHints, type CauseEvidence } from '../../src/verify/causes.ts';
import { Lockstep } from '../../src/verify/lockstep.ts';
import type { CheckFailure, StateDiff, TableDiff } from '../../src/verify/types.ts';

// Issue 20: each cause hint fires on its evidence and names it; none fires without it.

const day = (ds: string) => ({ start: new Date(`${ds}T00:00:00Z`), end: new Date(Date.parse(`${ds}T00:00:00Z`) + 86_400_000) });
const window = [day('2021-02-05'), day('2021-02-06'), day('2021-02-07')];
const evidence = (over: Partial<CauseEvidence> = {}): CauseEvidence => ({ intervals: window, timezone: 'UTC', statements: new Map(), now: Date.parse('2026-12-07T10:00:00Z'), ...over });

function diffOf(table: string, rows: Record<string, string | null>[]): StateDiff {
  const t = { table, backend: 'postgres', samples: rows.map((after) => ({ kind: 'only-after', before: null, after, changedColumns: [] })), hints: [] } as unknown as TableDiff;
  return { tables: [t], objects: [], beforeLabel: 'a', afterLabel: 'b' };
}

describe('cause hints', () => {
  it('closed range: a row stamped exactly at an interval end', () => {
    const f: CheckFailure = { message: 'x', interval: window[0], diff: diffOf('raw_data.e', [{ id: '3', created_at: '2021-02-06 00:00:00' }]) };
    expect(causeHints(f, evidence()).join('\n')).toMatch(/closed range: 1 row\(s\) of raw_data\.e shown here have created_at = 2021-02-06 00:00:00, exactly the end of 2021-02-05's interval/);
  });

  it('no hint for rows inside the interval, bare dates, or a date that is not today', () => {
    const f: CheckFailure = { message: 'x', interval: window[0], diff: diffOf('raw_data.e', [{ id: '1', day: '2021-02-06', created_at: '2021-02-05 18:00:00' }]) };
    expect(causeHints(f, evidence())).toEqual([]);
  });

  it('self read: the statement that takes a watermark from the table the task writes', () => {
    const statements = new Map([['load', ['SELECT MAX(created_at) FROM raw_data.e', 'INSERT INTO raw_data.e VALUES ($1)']]]);
    const f: CheckFailure = { message: 'x', diff: diffOf('raw_data.e', [{ id: '1' }]) };
    expect(causeHints(f, evidence({ statements })).join('\n')).toMatch(/task load reads raw_data\.e, which it also writes: statement 1 \(SELECT MAX\(created_at\) FROM raw_data\.e\) is a watermark/);
  });

  it('self read: an anti-join on the target, but not a plain read of another table', () => {
    const anti = new Map([['load', ['INSERT INTO raw_data.e SELECT * FROM stage WHERE id NOT IN (SELECT id FROM raw_data.e)']]]);
    const f: CheckFailure = { message: 'x', diff: diffOf('raw_data.e', [{ id: '1' }]) };
    expect(causeHints(f, evidence({ statements: anti })).join('\n')).toMatch(/is an anti-join on the target/);
    const plain = new Map([['load', ['INSERT INTO raw_data.e SELECT * FROM stage']]]);
    expect(causeHints(f, evidence({ statements: plain }))).toEqual([]);
  });

  it('timezone: a non-UTC DAG whose rows lie on the UTC day ds, outside its interval', () => {
    const seoul = { start: new Date('2021-02-05T15:00:00Z'), end: new Date('2021-02-06T15:00:00Z') };
    const f: CheckFailure = { message: 'wrote 1 row(s) to raw_data.s whose created_at lies outside', interval: seoul, rows: [{ id: '1', created_at: '2021-02-05 03:00:00' }] };
    const hints = causeHints(f, evidence({ timezone: 'Asia/Seoul', intervals: [seoul] })).join('\n');
    expect(hints).toMatch(/timezone: the DAG runs in Asia\/Seoul, .* 1 row\(s\) of raw_data\.s have created_at on the UTC day ds = 2021-02-05/);
  });

  it("wall clock: today's date in a written column", () => {
    const f: CheckFailure = { message: 'x', diff: diffOf('analytics.c', [{ run_day: '2026-12-07', n: '2' }]) };
    expect(causeHints(f, evidence()).join('\n')).toMatch(/wall clock: analytics\.c\.run_day = 2026-12-07 is today's date/);
  });
});

describe('lockstep', () => {
  it('lets two runs send statements in turn: A, B, A, B', async () => {
    const l = new Lockstep(2);
    const order: string[] = [];
    const run = async (id: string) => {
      for (let i = 0; i < 3; i++) {
        await l.before(id);
        order.push(id);
        await new Promise((r) => setImmediate(r));
      }
      l.end(id);
    };
    await Promise.all([run('a'), run('b')]);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('a run that stops sending loses its turn instead of holding the other forever', async () => {
    const l = new Lockstep(2);
    await l.before('a');
    await l.before('b');
    // a never sends again (it waits on a lock b holds): b goes on after the guard.
    await l.before('b');
    l.end('a');
    await l.before('b');
    expect(true).toBe(true);
  });
});
