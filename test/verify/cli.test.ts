import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dagbox } from '../helpers/cli.ts';
import { corpusProject, servicesFlag } from './helpers.ts';

// `dagbox test` and `dagbox dags backfill --verify`, spawned as a user runs them.

const project = corpusProject(['upsert_keyed', 'append_no_dedupe'], {
  'dagbox.config.ts': `import { defineConfig } from 'DAGBOX';\nexport default defineConfig({ now: '2021-02-08', window: 3 });\n`,
});
afterAll(() => project.remove());
const run = (...args: string[]) => dagbox([...args, '--services', servicesFlag], { cwd: project.dir });

describe('dagbox test', () => {
  it('verifies every DAG over the configured window, prints a per-DAG per-check summary, writes reports and exits 1 on a failure', async () => {
    const r = await run('test');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^append_no_dedupe {2}\[2021-02-05, 2021-02-08\) {2}3 intervals {2}FAIL/m);
    expect(r.stdout).toMatch(/^upsert_keyed {2}\[2021-02-05, 2021-02-08\) {2}3 intervals {2}PASS/m);
    expect(r.stdout).toMatch(/✘ idempotency +3 of 3 intervals changed the tables when re-run/);
    expect(r.stdout).toMatch(/raw_data\.nps_append {2}after the 2nd run: 6 rows → after the 3rd run: 9 rows/);
    expect(r.stdout).toMatch(/✔ atomicity +\d+ injected failures? in 1 writing task \(upsert\)/);
    // Issue 20: counts per status (not run / not applicable replace "skipped"), and the concurrency check makes 8 per DAG.
    expect(r.stdout).toMatch(/2 DAG\(s\), 16 checks: \d+ passed, 1 failed, \d+ not run, \d+ not applicable in [\d.]+m?s \(failed: append_no_dedupe\)/);
    const json = JSON.parse(readFileSync(join(project.dir, '.dagbox/reports/test.json'), 'utf8')) as { ok: boolean; dags: { dagId: string; ok: boolean; checks: { check: string; status: string }[] }[] };
    expect(json.ok).toBe(false);
    expect(json.dags.map((d) => [d.dagId, d.ok])).toEqual([
      ['append_no_dedupe', false],
      ['upsert_keyed', true],
    ]);
    const md = readFileSync(join(project.dir, '.dagbox/reports/test.md'), 'utf8');
    expect(md).toMatch(/^# dagbox test: FAILED/);
    expect(md).toContain('| append_no_dedupe | [2021-02-05, 2021-02-08) | FAIL | idempotency | **FAIL** | 3 | 3 |');
    expect(md).toMatch(/```text\nraw_data\.nps_append/);
    // Verification runs are simulations: nothing enters the run history.
    expect(existsSync(join(project.dir, '.dagbox/runs')) ? readdirSync(join(project.dir, '.dagbox/runs')) : []).toEqual([]);
  });

  it('writes JUnit for CI with --reporter junit --output, for the DAGs named, and exits 0 when all pass', async () => {
    const r = await run('test', 'upsert_keyed', '--window', '2021-02-05..2021-02-07', '--reporter', 'junit', '--output', 'out/junit.xml', '--no-faults');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const xml = readFileSync(join(project.dir, 'out/junit.xml'), 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="dagbox test" tests="7" failures="0" errors="0"/);
    expect(xml).toContain('<testsuite name="upsert_keyed" tests="7" failures="0" errors="0"');
    expect(xml).toMatch(/<testcase classname="dagbox.upsert_keyed" name="idempotency" time="[\d.]+"\/>/);
    expect(xml).toMatch(/<testcase classname="dagbox.upsert_keyed" name="write in interval" time="0.000"><skipped message="not applicable: no table has an event-time column/);
    expect(r.stdout).toMatch(/^upsert_keyed {2}\[2021-02-05, 2021-02-07\) {2}2 intervals {2}PASS/m);
  });

  it('is a usage error for a malformed --window, and an error for an unknown DAG', async () => {
    const bad = await dagbox(['test', '--window', '2021-02-05'], { cwd: project.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--window "2021-02-05" is not a range: write START\.\.END/);
    const unknown = await dagbox(['test', 'upsert_keyd'], { cwd: project.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no DAG "upsert_keyd".*did you mean "upsert_keyed"/);
  });
});

describe('dagbox dags backfill --verify', () => {
  it('exits 1 with the diff for a non-idempotent DAG, fault injection included', async () => {
    const r = await run('dags', 'backfill', 'append_no_dedupe', '-s', '2021-02-05', '-e', '2021-02-06', '--verify', '--faults');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/append_no_dedupe: verifying 2 interval\(s\) \[2021-02-05, 2021-02-07\) on the fixtures \(idempotency, backfill order, replay, atomicity under injected failures\)/);
    expect(r.stdout).toMatch(/✘ idempotency/);
    expect(r.stdout).toMatch(/only after +after +13 +1 +5 +2021-02-05/);
    expect(r.stdout).toMatch(/✔ atomicity/);
  });

  it('exits 0 for a safe DAG, and --shuffle --seed replays the printed order (--json for scripts)', async () => {
    const r = await run('dags', 'backfill', 'upsert_keyed', '-s', '2021-02-03', '-e', '2021-02-07', '--verify', '--shuffle', '--seed', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { dagId: string; verification: { ok: boolean; checks: { check: string; status: string; seed?: number; summary: string }[] } };
    expect(doc.verification.ok).toBe(true);
    const order = doc.verification.checks.find((c) => c.check === 'backfill-order')!;
    expect([order.status, order.seed]).toEqual(['pass', 5]);
    expect(order.summary).toMatch(/shuffled \(seed 5\)/);
  });

  it('rejects --faults, --shuffle and --seed without --verify, and --seed without --shuffle (exit 2)', async () => {
    const a = await dagbox(['dags', 'backfill', 'upsert_keyed', '-s', '2021-02-05', '-e', '2021-02-07', '--faults'], { cwd: project.dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--faults only work with --verify/);
    const b = await dagbox(['dags', 'backfill', 'upsert_keyed', '-s', '2021-02-05', '-e', '2021-02-07', '--verify', '--seed', '3'], { cwd: project.dir });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--seed picks the order of --shuffle/);
  });
});

describe('dagbox dags backfill --verify with maxActiveRuns above 1', () => {
  const multi = corpusProject(['shared_stage', 'check_after_failure']);
  afterAll(() => multi.remove());
  const runIn = (...args: string[]) => dagbox([...args, '--services', servicesFlag], { cwd: multi.dir });

  it("replays the window the DAG's maxActiveRuns at once by default and fails on a shared staging table", async () => {
    const r = await runIn('dags', 'backfill', 'shared_stage', '-s', '2021-02-05', '-e', '2021-02-07', '--verify');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/verifying 3 interval\(s\) .*3 runs at once/);
    expect(r.stdout).toMatch(/✘ concurrent runs/);
    expect(r.stdout).toMatch(/hint: the runs only go wrong when 2 of them overlap \(maxActiveRuns 3\)/);
    // The AWS SDK's console warnings never reach the terminal unattributed.
    expect(r.stdout + r.stderr).not.toMatch(/^An error was encountered in a non-retryable streaming request/m);
  });

  it('a data check that never ran makes `dagbox test` exit 1, says not run, and every report agrees', async () => {
    const r = await runIn('test', 'check_after_failure', '--window', '2021-02-05..2021-02-08', '--no-faults', '--reporter', 'junit', '--output', 'junit.xml');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/! data checks +not run: .*check_positive on 2021-02-07 \(upstream_failed\)/);
    expect(r.stdout).toMatch(/1 DAG\(s\), 7 checks: \d+ passed, 1 failed, \d+ not run, \d+ not applicable/);
    const xml = readFileSync(join(multi.dir, 'junit.xml'), 'utf8');
    expect(xml).toMatch(/name="data checks" time="[\d.]+"><error type="not run" message="not run: /);
    const md = readFileSync(join(multi.dir, '.dagbox/reports/test.md'), 'utf8');
    expect(md).toMatch(/\| check_after_failure \| \[2021-02-05, 2021-02-08\) \| FAIL \| data checks \| \*\*not run\*\* \|/);
    const json = JSON.parse(readFileSync(join(multi.dir, '.dagbox/reports/test.json'), 'utf8')) as { dags: { verdict: string; checks: { check: string; status: string }[] }[] };
    expect(json.dags[0]!.checks.find((c) => c.check === 'data-checks')!.status).toBe('not-run');
  });
});
