import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dag } from '../../src/dag/dag.ts';
import { dagRunner } from '../../src/verify/runner.ts';
import { checkIdempotency, formatCheckResult } from '../../src/verify/index.ts';
import { corpusDags, startTestSession, windowOf, type TestSession } from './helpers.ts';

// The function `dagbox dev` calls after each save: check 1 on the latest interval, on the current state.

let t: TestSession;
let dags: Map<string, Dag>;
beforeAll(async () => {
  t = await startTestSession();
  dags = await corpusDags();
});
afterAll(async () => {
  await t?.close();
});

describe('checkIdempotency', () => {
  it('passes for an idempotent DAG whose interval the caller has just run', async () => {
    await t.session.restore(t.fixtures);
    const dag = dags.get('delete_range_insert')!;
    const [interval] = windowOf(dag);
    const runner = dagRunner(dag, t.env());
    expect((await runner.run(interval!)).state).toBe('success');
    const result = await checkIdempotency(t.session, dag, interval!, t.env(), { alreadyRan: true });
    expect([result.check, result.status, result.checked]).toEqual(['idempotency', 'pass', 1]);
    expect(formatCheckResult(result, { color: false })[0]).toMatch(/^✔ idempotency {2}1 interval re-run: every re-run left every table and object unchanged/);
  });

  it('fails with the diff for a non-idempotent DAG run through a runner of the caller (the dev worker)', async () => {
    await t.session.restore(t.fixtures);
    const dag = dags.get('default_now')!;
    const [interval] = windowOf(dag);
    const own = dagRunner(dag, t.env());
    let calls = 0;
    const target = { dagId: dag.id, verify: dag.options.verify, run: (i: typeof interval, previous?: Parameters<typeof own.run>[1]) => (calls++, own.run(i!, previous)) };
    const result = await checkIdempotency(t.session, target, interval!, null);
    expect(calls).toBe(3); // run, re-run, and one more run for the diff
    expect(result.status).toBe('fail');
    const text = formatCheckResult(result, { color: false }).join('\n');
    expect(text).toMatch(/re-running 2021-02-05 changed raw_data\.nps_loaded \(3 rows, content changed\)/);
    expect(text).toMatch(/hint: raw_data\.nps_loaded\.loaded_at differs only in values near the wall-clock time/);
  });

  it('is not run, saying why, when the run fails', async () => {
    await t.session.restore(t.fixtures);
    const dag = dags.get('append_no_dedupe')!;
    // Without the session's hooks, ctx.mysql() throws: the run fails.
    const result = await checkIdempotency(t.session, dag, windowOf(dag)[0]!, { ...t.env(), hooks: () => ({}) });
    expect([result.status, result.summary]).toEqual(['not-run', 'the run of 2021-02-05 failed, so it cannot be re-run and compared']);
  });
});
