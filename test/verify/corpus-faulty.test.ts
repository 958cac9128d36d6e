import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dag } from '../../src/dag/dag.ts';
import { formatVerification, verifyDag, type CheckId, type DagVerification, type TableDiff } from '../../src/verify/index.ts';
import { corpusDags, startTestSession, windowOf, type TestSession } from './helpers.ts';

// Each deliberately faulty DAG of the corpus must be caught by the check named in the issue,
// and the diff must name the table (or object) and the rows at fault.

let t: TestSession;
let dags: Map<string, Dag>;
const verified = new Map<string, DagVerification>();

beforeAll(async () => {
  t = await startTestSession();
  dags = await corpusDags();
});
afterAll(async () => {
  await t?.close();
});

async function verify(id: string): Promise<DagVerification> {
  if (!verified.has(id)) {
    const dag = dags.get(id)!;
    const v = await verifyDag(t.session, dag, t.env(), { intervals: windowOf(dag), fixtures: t.fixtures, restoreFirst: true, faults: true });
    verified.set(id, v);
  }
  return verified.get(id)!;
}

function failedChecks(v: DagVerification): CheckId[] {
  return v.checks.filter((c) => c.status === 'fail').map((c) => c.check);
}

function check(v: DagVerification, id: CheckId) {
  return v.checks.find((c) => c.check === id)!;
}

function tableDiff(v: DagVerification, id: CheckId, table: string, failure = 0): TableDiff {
  const diff = check(v, id).failures[failure]?.diff;
  const found = diff?.tables.find((x) => x.table === table);
  if (!found) throw new Error(`no diff of ${table} in ${id}:\n${formatVerification(v, { color: false }).join('\n')}`);
  return found;
}

const ids = (d: TableDiff, side: 'before' | 'after') => d.samples.map((s) => s[side]?.id);

describe('the faulty corpus', () => {
  it('APPEND without dedupe fails idempotency only; the diff shows the appended copies of the day', async () => {
    const v = await verify('append_no_dedupe');
    expect(failedChecks(v)).toEqual(['idempotency']);
    expect(check(v, 'idempotency').failures).toHaveLength(3);
    const d = tableDiff(v, 'idempotency', 'raw_data.nps_append');
    expect(d.keyKind).toBe('all columns');
    expect([d.onlyBefore, d.onlyAfter, d.changed]).toEqual([0, 3, 0]);
    expect(ids(d, 'after')).toEqual(['13', '14', '15']); // the answers of 2021-02-05, once more
    expect(d.samples.every((s) => s.after?.created_at?.startsWith('2021-02-05'))).toBe(true);
    expect(d.hints.join('\n')).toMatch(/extra copies of rows already there/);
  });

  it('a DEFAULT now() load timestamp fails idempotency with the wall-clock hint naming the column', async () => {
    const v = await verify('default_now');
    expect(failedChecks(v)).toContain('idempotency');
    const d = tableDiff(v, 'idempotency', 'raw_data.nps_loaded');
    expect(d.keyKind).toBe('primary key');
    expect([d.common, d.onlyBefore, d.onlyAfter, d.changed]).toEqual([3, 0, 0, 3]);
    expect(d.columns.find((c) => c.column === 'loaded_at')?.percent).toBe(0);
    expect(d.columns.filter((c) => c.column !== 'loaded_at').every((c) => c.percent === 100)).toBe(true);
    expect(d.samples.every((s) => s.changedColumns.join() === 'loaded_at')).toBe(true);
    const hint = d.hints.join('\n');
    expect(hint).toMatch(/raw_data\.nps_loaded\.loaded_at differs only in values near the wall-clock time/);
    expect(hint).toMatch(/logical date/);
    expect(hint).toMatch(/ignore: \{ 'raw_data\.nps_loaded': \['loaded_at'\] \}/);
  });

  it('an S3 key not templated by ds, appended, fails idempotency and backfill order; the order diff names the object', async () => {
    const v = await verify('s3_key_fixed');
    expect(failedChecks(v)).toEqual(['idempotency', 'backfill-order']);
    expect(tableDiff(v, 'idempotency', 'raw_data.nps_s3').onlyAfter).toBe(3);
    const order = check(v, 'backfill-order').failures[0]!.diff!;
    expect(order.tables).toEqual([]);
    const objects = order.objects[0]!;
    expect(objects.changed.map((o) => o.key)).toEqual(['nps/latest.csv']);
    // In date order the object holds the last day; backwards, the first.
    expect(objects.lines[0]!.onlyBefore.every((l) => l.includes('2021-02-07'))).toBe(true);
    expect(objects.lines[0]!.onlyAfter.every((l) => l.includes('2021-02-05'))).toBe(true);
  });

  it('a summary built by INSERT without clearing fails idempotency; the diff shows the repeated summary row', async () => {
    const v = await verify('summary_no_clear');
    expect(failedChecks(v)).toEqual(['idempotency']);
    const d = tableDiff(v, 'idempotency', 'analytics.nps_daily');
    expect([d.onlyBefore, d.onlyAfter]).toEqual([0, 1]);
    expect(d.samples[0]!.after).toMatchObject({ day: '2021-02-05', answers: '3' });
    // The raw load beside it is fine: only the summary differs.
    expect(check(v, 'idempotency').failures[0]!.diff!.tables.map((x) => x.table)).toEqual(['analytics.nps_daily']);
  });

  it('DELETE then INSERT outside a transaction fails atomicity under an injected failure; the diff shows the deleted day', async () => {
    const v = await verify('delete_insert_no_tx');
    expect(failedChecks(v)).toEqual(['atomicity']);
    const failure = check(v, 'atomicity').failures.find((f) => f.message.includes('faultPoint "between-delete-and-insert"'))!;
    expect(failure.taskId).toBe('load');
    const d = failure.diff!.tables.find((x) => x.table === 'raw_data.nps_di')!;
    expect([d.onlyBefore, d.onlyAfter, d.changed]).toEqual([3, 0, 0]);
    expect(ids(d, 'before')).toEqual(['16', '17', '18']); // the rows of 2021-02-06, the replayed interval
    expect(failure.diff!.beforeLabel).toBe('before task load');
  });

  it('an UPSERT keyed on a non-unique column fails backfill order and replay; the diff joins on the declared key', async () => {
    const v = await verify('upsert_wrong_key');
    expect(failedChecks(v)).toEqual(['backfill-order', 'replay']);
    for (const id of ['backfill-order', 'replay'] as const) {
      const d = tableDiff(v, id, 'raw_data.nps_latest');
      expect(d.keyKind).toBe('declared keys');
      expect(d.key).toEqual(['user_id']);
      expect([d.common, d.changed]).toEqual([3, 3]);
      expect(d.samples.map((s) => s.before?.id)).toEqual(['19', '20', '21']); // 2021-02-07 wins in date order
    }
    expect(ids(tableDiff(v, 'backfill-order', 'raw_data.nps_latest'), 'after')).toEqual(['13', '14', '15']); // 02-05 backwards
    expect(ids(tableDiff(v, 'replay', 'raw_data.nps_latest'), 'after')).toEqual(['16', '17', '18']); // 02-06 replayed
  });

  it('rows loaded outside their interval fail the write-inside-the-interval check, listing them', async () => {
    const v = await verify('off_by_one');
    expect(failedChecks(v)).toEqual(['write-interval']);
    const f = check(v, 'write-interval').failures[0]!;
    expect(f.message).toMatch(/wrote 3 row\(s\) to raw_data\.nps_lagged whose created_at lies outside its data interval \[2021-02-05T00:00:00\.000Z/);
    expect(f.rows!.map((r) => r.created_at!.slice(0, 10))).toEqual(['2021-02-04', '2021-02-04', '2021-02-04']);
  });

  it('a data check whose upstream failed is reported not run, never passed, and the verification is not green', async () => {
    const v = await verify('check_after_failure');
    expect(v.ok).toBe(false);
    expect(v.verdict).toBe('fail');
    expect(check(v, 'runs').status).toBe('fail');
    expect(check(v, 'runs').failures[0]!.message).toMatch(/of 2021-02-07 failed: task load: .*check constraint/);
    const data = check(v, 'data-checks');
    expect(data.status).toBe('not-run');
    expect(data.summary).toMatch(/check_positive on 2021-02-07 \(upstream_failed\)/);
    // Two intervals were re-run before the third broke: not a pass, and it says how far it got.
    const idem = check(v, 'idempotency');
    expect([idem.status, idem.checked]).toEqual(['not-run', 2]);
    expect(idem.summary).toMatch(/2 of 3 intervals re-run unchanged, then the run of 2021-02-07 failed/);
    for (const id of ['backfill-order', 'concurrency', 'replay', 'atomicity'] as const) expect(check(v, id).status).toBe('not-run');
    const text = formatVerification(v, { color: false }).join('\n');
    expect(text).toMatch(/! data checks +not run: /);
    expect(text).not.toMatch(/✔ data checks/);
  });

  it('a data check that is skipped on every run is not run, not passed: every run succeeds, yet the verification is INCOMPLETE, not green', async () => {
    const v = await verify('check_never_runs');
    expect(failedChecks(v)).toEqual([]);
    expect(check(v, 'runs').status).toBe('pass');
    const data = check(v, 'data-checks');
    expect(data.status).toBe('not-run');
    expect(data.summary).toMatch(/check_scores on 2021-02-05 \(skipped\)/);
    expect([v.verdict, v.ok]).toEqual(['incomplete', false]);
    expect(formatVerification(v, { color: false }).join('\n')).toMatch(/^check_never_runs .* INCOMPLETE .*\n[\s\S]*not green: 1 check did not run/);
  });

  it('runs that share one staging table fail the concurrent-runs check (maxActiveRuns 3), with a hint naming the collision', async () => {
    const v = await verify('shared_stage');
    // The stage is also written outside the load's transaction, which check 4 catches on its own.
    expect(failedChecks(v)).toEqual(['concurrency', 'atomicity']);
    const c = check(v, 'concurrency');
    expect(c.summary).toMatch(/at a time|at once/);
    const f = c.failures[0]!;
    const hints = [...(f.hints ?? []), ...(f.diff?.tables.flatMap((t) => t.hints) ?? [])].join('\n');
    expect(hints).toMatch(/only go wrong when 2 of them overlap \(maxActiveRuns 3\)/);
    expect(hints).toMatch(/stage_\{\{ ds_nodash \}\}|maxActiveRuns: 1/);
    if (f.diff) expect(f.diff.tables.map((t) => t.table)).toContain('raw_data.nps_shared');
  });

  it('a LIMIT whose ORDER BY has ties fails idempotency on reordered rows, with a hint naming nondeterministic ordering', async () => {
    const v = await verify('top_region_tie');
    expect(failedChecks(v)).toContain('idempotency');
    const f = check(v, 'idempotency').failures[0]!;
    expect(f.message).toMatch(/re-running 2021-02-05 on the same rows in another physical order changed analytics\.top_region/);
    expect(f.hints!.join('\n')).toMatch(/nondeterministic ordering: analytics\.top_region .*LIMIT whose ORDER BY has ties/);
    const d = tableDiff(v, 'idempotency', 'analytics.top_region');
    expect(d.keyKind).toBe('primary key');
    expect(d.samples[0]!.changedColumns).toEqual(['region']);
    expect(new Set([d.samples[0]!.before!.region, d.samples[0]!.after!.region])).toEqual(new Set(['busan', 'seoul']));
  });

  const allHints = (v: DagVerification, id: CheckId) => check(v, id).failures.flatMap((f) => [...(f.hints ?? []), ...(f.diff?.tables.flatMap((t) => t.hints) ?? [])]).join('\n');

  it('a closed range (BETWEEN start AND end) loads a row stamped at midnight twice; the hint names the boundary row', async () => {
    const v = await verify('events_closed');
    expect(failedChecks(v)).toContain('idempotency');
    const d = tableDiff(v, 'idempotency', 'raw_data.events_closed');
    expect(d.samples.map((s) => s.after?.created_at)).toEqual(['2021-02-06 00:00:00']);
    expect(allHints(v, 'idempotency')).toMatch(/closed range: 1 row\(s\) of raw_data\.events_closed shown here have created_at = 2021-02-06 00:00:00, exactly the end of 2021-02-05's interval \[2021-02-05, 2021-02-06\)/);
  });

  it("a watermark read from the target's own MAX(...) is named, with the statement", async () => {
    const v = await verify('events_watermark');
    expect(failedChecks(v)).toContain('idempotency');
    expect(allHints(v, 'idempotency')).toMatch(/task load_events reads raw_data\.events_wm, which it also writes: statement \d+ \(SELECT to_char\(COALESCE\(MAX\(created_at\).*is a watermark taken from the target's own MAX/);
  });

  it('a non-UTC DAG selecting DATE(created_at) = ds writes rows outside its interval; the hint names the timezone and ds', async () => {
    const v = await verify('seoul_ds');
    expect(failedChecks(v)).toEqual(['write-interval']);
    const hints = allHints(v, 'write-interval');
    expect(hints).toMatch(/timezone: the DAG runs in Asia\/Seoul, so the interval 2021-02-05T15:00Z is \[2021-02-05T15:00:00\.000Z, 2021-02-06T15:00:00\.000Z\)/);
    expect(hints).toMatch(/on the UTC day ds = 2021-02-05/);
  });

  it("a key stamped with today's date (CURRENT_DATE) is named as the wall clock", async () => {
    const v = await verify('run_day_today');
    expect(failedChecks(v)).toContain('idempotency');
    const today = new Date().toISOString().slice(0, 10);
    expect(allHints(v, 'idempotency')).toMatch(new RegExp(`wall clock: analytics\\.event_counts\\.run_day = ${today} is today's date`));
  });

  it('an S3 key holding the wall-clock time fails idempotency; the headline names every object the diff under it shows', async () => {
    const v = await verify('s3_key_now');
    expect(failedChecks(v)).toContain('idempotency');
    for (const f of check(v, 'idempotency').failures) {
      const shown = f.diff!.objects.flatMap((o) => [...o.onlyAfter, ...o.onlyBefore].map((x) => `s3://${x.bucket}/${x.key}`));
      expect(shown.length).toBeGreaterThan(0);
      for (const name of shown) expect(f.message).toContain(name);
    }
  });

  it('prints the failures as a report a person can act on', async () => {
    const text = formatVerification(await verify('default_now'), { color: false }).join('\n');
    expect(text).toMatch(/^default_now {2}\[2021-02-05, 2021-02-08\) {2}3 intervals {2}FAIL/);
    expect(text).toContain('✘ idempotency');
    expect(text).toMatch(/joined on primary key \(id\): 3 common, 0 only before, 0 only after, 3 changed/);
    expect(text).toMatch(/column match: loaded_at 0%; others 100%/);
    expect(text).toMatch(/changed +before +\d+ .*\*/);
  });
});
