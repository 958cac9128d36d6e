import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dag } from '../../src/dag/dag.ts';
import { sql, sqlToSql } from '../../src/operators/index.ts';
import { verifyDag } from '../../src/verify/index.ts';
import { startTestSession, windowOf, type TestSession } from './helpers.ts';

// What verification must see because the stand-in behaves as Redshift: keys that are not
// enforced, and a wall clock that moves between a run and its re-run.

let t: TestSession;
beforeAll(async () => {
  t = await startTestSession();
});
afterAll(async () => {
  await t?.close();
});

function appendDag(): Dag {
  const dag = new Dag({ id: 'append_declared_pk', schedule: '@daily', startDate: '2021-02-01', catchup: true, maxActiveRuns: 1 });
  const create = dag.task('create', sql({ connId: 'redshift', sql: 'CREATE TABLE IF NOT EXISTS raw_data.nps_keyed (id INT PRIMARY KEY, user_id INT NOT NULL, score SMALLINT, created_at TIMESTAMP)' }));
  const load = dag.task(
    'load',
    sqlToSql({
      sourceConnId: 'mysql',
      sql: "SELECT id, user_id, score, created_at FROM prod.nps WHERE created_at >= '{{ data_interval_start }}' AND created_at < '{{ data_interval_end }}'",
      destinationConnId: 'redshift',
      destinationTable: 'raw_data.nps_keyed',
      method: 'APPEND',
    }),
  );
  create.to(load);
  return dag;
}

describe('an APPEND into a table with a declared primary key', () => {
  it('duplicates rows on a re-run, as on Redshift, and check 6 names the APPEND and the unenforced key', async () => {
    const dag = appendDag();
    const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag), fixtures: t.fixtures, restoreFirst: true, checks: ['idempotency', 'data-checks'] });
    const idempotency = v.checks.find((c) => c.check === 'idempotency')!;
    expect(idempotency.status).toBe('fail');
    const keys = v.checks.find((c) => c.check === 'data-checks')!;
    expect(keys.status).toBe('fail');
    const message = keys.failures.map((f) => f.message).join('\n');
    expect(message).toMatch(/raw_data\.nps_keyed has \d+ key value\(s\) of \(id\) on more than one row/);
    expect(message).toMatch(/PRIMARY KEY \(id\) is informational on Redshift/);
    expect(message).toMatch(/task "load" loads it with method APPEND/);
    expect(message).toMatch(/UPSERT \(upsertKeys: \['id'\]\)/);
  });
});

describe('a load stamped with the wall clock (DEFAULT GETDATE())', () => {
  it('fails idempotency: the re-run happens a day later on the warehouse clock, and the hint names the column', async () => {
    const dag = new Dag({ id: 'getdate_default', schedule: '@daily', startDate: '2021-02-01', catchup: true, maxActiveRuns: 1 });
    dag.task(
      'load',
      sql({
        connId: 'redshift',
        sql: `CREATE TABLE IF NOT EXISTS raw_data.nps_stamped (day DATE PRIMARY KEY, loaded_at TIMESTAMP DEFAULT GETDATE());
              DELETE FROM raw_data.nps_stamped WHERE day = '{{ ds }}';
              INSERT INTO raw_data.nps_stamped (day) VALUES ('{{ ds }}')`,
      }),
    );
    const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag), fixtures: t.fixtures, restoreFirst: true, checks: ['idempotency'] });
    const idempotency = v.checks.find((c) => c.check === 'idempotency')!;
    expect(idempotency.status).toBe('fail');
    // The first interval creates the table; later ones have the rows before the re-run to compare.
    const tables = idempotency.failures.flatMap((f) => f.diff?.tables ?? []).filter((d) => d.table === 'raw_data.nps_stamped');
    const samples = tables.flatMap((d) => d.samples);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.changedColumns.join() === 'loaded_at')).toBe(true);
    expect(tables.flatMap((d) => d.hints).join('\n')).toMatch(/raw_data\.nps_stamped\.loaded_at differs only in values near the wall-clock time/);
  });
});

describe("a load that copies MySQL's NOW()", () => {
  it('fails idempotency: the re-run reads MySQL a day later too', async () => {
    const dag = new Dag({ id: 'mysql_now', schedule: '@daily', startDate: '2021-02-01', catchup: true, maxActiveRuns: 1 });
    const create = dag.task('create', sql({ connId: 'redshift', sql: 'CREATE TABLE IF NOT EXISTS raw_data.seen (day DATE, seen_at TIMESTAMP)' }));
    const load = dag.task(
      'load',
      sqlToSql({ sourceConnId: 'mysql', sql: "SELECT DATE('{{ ds }}') AS day, NOW() AS seen_at", destinationConnId: 'redshift', destinationTable: 'raw_data.seen', method: 'REPLACE' }),
    );
    create.to(load);
    const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag), fixtures: t.fixtures, restoreFirst: true, checks: ['idempotency'] });
    const idempotency = v.checks.find((c) => c.check === 'idempotency')!;
    expect(idempotency.status).toBe('fail');
    const hints = idempotency.failures.flatMap((f) => f.diff?.tables ?? []).filter((d) => d.table === 'raw_data.seen').flatMap((d) => d.hints);
    expect(hints.join('\n')).toMatch(/raw_data\.seen\.seen_at differs only in values near the wall-clock time/);
  });
});
