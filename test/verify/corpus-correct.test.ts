import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dag } from '../../src/dag/dag.ts';
import { loadDags } from '../../src/dag/loader.ts';
import { formatVerification, verifyDag, type DagVerification } from '../../src/verify/index.ts';
import { repoRoot } from '../helpers/project.ts';
import { corpusDags, startTestSession, windowOf, type TestSession } from './helpers.ts';

// Zero false positives: correct DAGs pass every check, fault injection included.

function expectAllPass(v: DagVerification, mustRun: string[]): void {
  const text = formatVerification(v, { color: false }).join('\n');
  expect(v.checks.filter((c) => c.status === 'fail'), text).toEqual([]);
  expect(v.ok).toBe(true);
  for (const id of mustRun) expect(v.checks.find((c) => c.check === id)?.status, `${id} of ${v.dagId}:\n${text}`).toBe('pass');
}

describe('the correct corpus', () => {
  let t: TestSession;
  let dags: Map<string, Dag>;
  beforeAll(async () => {
    t = await startTestSession();
    dags = await corpusDags();
  });
  afterAll(async () => {
    await t?.close();
  });
  const verify = (id: string) => verifyDag(t.session, dags.get(id)!, t.env(), { intervals: windowOf(dags.get(id)!), fixtures: t.fixtures, restoreFirst: true, faults: true });

  it('REPLACE (a full refresh in one transaction, one object per ds) passes every check', async () => {
    const v = await verify('replace_tx');
    expectAllPass(v, ['runs', 'idempotency', 'backfill-order', 'replay', 'atomicity']);
    expect(v.checks.find((c) => c.check === 'atomicity')!.summary).toMatch(/in 2 writing tasks \(extract, load\)/);
  });

  it('a keyed UPSERT (staging + ROW_NUMBER, swapped in one transaction) passes every check, declared keys unique', async () => {
    const v = await verify('upsert_keyed');
    expectAllPass(v, ['runs', 'idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']);
    expect(v.checks.find((c) => c.check === 'data-checks')!.summary).toMatch(/declared keys unique after 3 runs/);
  });

  it('delete-range + insert in one transaction passes every check, writes inside its interval and passes its data check', async () => {
    const v = await verify('delete_range_insert');
    expectAllPass(v, ['runs', 'idempotency', 'backfill-order', 'replay', 'atomicity', 'write-interval', 'data-checks']);
  });

  it('with the shuffled order and a seed, reports the seed and still passes', async () => {
    const dag = dags.get('upsert_keyed')!;
    const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag, '2021-02-03', '2021-02-09'), fixtures: t.fixtures, restoreFirst: true, order: 'shuffle', seed: 42 });
    const order = v.checks.find((c) => c.check === 'backfill-order')!;
    expect(order.status).toBe('pass');
    expect(order.seed).toBe(42);
    expect(order.summary).toMatch(/shuffled \(seed 42\)/);
  });

  // Issue 20 changed this: runs at once are their own check (concurrency), the order check runs backwards one at a time.
  it('with two runs at once, the concurrency check runs the window concurrently beside the backwards order', async () => {
    const dag = dags.get('delete_range_insert')!;
    const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag), fixtures: t.fixtures, restoreFirst: true, maxActiveRuns: 2, checks: ['runs', 'backfill-order', 'concurrency'] });
    expect(v.checks.map((c) => [c.check, c.status])).toEqual([
      ['runs', 'pass'],
      ['backfill-order', 'pass'],
      ['concurrency', 'pass'],
    ]);
    expect(v.checks[1]!.summary).toMatch(/backwards from the fixtures/);
    expect(v.checks[2]!.summary).toMatch(/run 2 at a time after its first interval \(maxActiveRuns 2\)/);
  });

  it("a DAG with maxActiveRuns 3 whose runs stage in temporary tables passes the concurrency check by default", async () => {
    const v = await verify('temp_stage');
    expectAllPass(v, ['runs', 'idempotency', 'backfill-order', 'concurrency', 'replay']);
    expect(v.verdict).toBe('pass');
  });

  it('a top-N whose ORDER BY breaks ties passes idempotency on reordered rows', async () => {
    const v = await verify('top_region_tiebreak');
    expectAllPass(v, ['runs', 'idempotency', 'backfill-order', 'replay']);
  });

  for (const id of ['events_half_open', 'seoul_interval', 'run_day_ds']) {
    it(`${id} (the correct twin of a hinted fault) passes every check`, async () => {
      const v = await verify(id);
      expectAllPass(v, ['runs', 'idempotency', 'backfill-order', 'replay', 'atomicity']);
      if (id === 'seoul_interval') expect(v.checks.find((c) => c.check === 'write-interval')?.status).toBe('pass');
    });
  }

  it('a DAG with maxActiveRuns 1 has nothing to check for concurrency: not applicable, still green', async () => {
    const v = await verify('replace_tx');
    const c = v.checks.find((x) => x.check === 'concurrency')!;
    expect([c.status, c.summary]).toEqual(['not-applicable', "the DAG's maxActiveRuns is 1: Airflow never runs two intervals of it at once"]);
    expect(v.ok).toBe(true);
  });
});

describe('the example pipelines of dags/', () => {
  let t: TestSession;
  let dags: Map<string, Dag>;
  beforeAll(async () => {
    t = await startTestSession(join(repoRoot, 'fixtures'));
    const bag = await loadDags(join(repoRoot, 'dags'));
    dags = new Map(bag.dags.map((d) => [d.dag.id, d.dag]));
  });
  afterAll(async () => {
    await t?.close();
  });

  // Windows inside the fixtures' data; the hourly DAG gets three hours.
  const cases: [string, string, string, string[]][] = [
    ['mysql_to_redshift_v2', '2021-02-05', '2021-02-08', ['idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']],
    ['mysql_to_redshift', '2021-02-05', '2021-02-08', ['idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']],
    ['name_gender', '2021-02-05', '2021-02-08', ['idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']],
    ['example_linear', '2021-02-05', '2021-02-08', ['idempotency', 'backfill-order', 'replay']],
    ['example_fanout', '2021-02-05', '2021-02-08', ['idempotency', 'backfill-order', 'replay']],
    ['example_retry', '2021-02-05T00:00:00Z', '2021-02-05T03:00:00Z', ['idempotency', 'backfill-order', 'replay']],
    // On 2021-02-05 the partner API never recovers (the alerting example): verified from 02-06.
    ['partner_orders', '2021-02-06', '2021-02-08', ['idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']],
    // Regression: its summary was once rebuilt whole "as of the interval end", so a backfill of a past day rolled it back.
    ['course_summary', '2021-02-05', '2021-02-08', ['idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']],
    ['weather_forecast', '2021-02-06', '2021-02-08', ['idempotency', 'backfill-order', 'replay', 'atomicity', 'data-checks']],
  ];
  for (const [id, from, to, mustPass] of cases) {
    it(`${id} passes every check`, async () => {
      const dag = dags.get(id);
      expect(dag, `dags/ defines ${id}`).toBeDefined();
      if (!dag) return;
      const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag, from, to), fixtures: t.fixtures, restoreFirst: true, faults: true });
      expectAllPass(v, ['runs', ...mustPass]);
    });
  }
});
