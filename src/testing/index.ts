/**
 * dagbox in vitest: a harness that starts the services, loads the fixtures and the DAGs, and
 * matchers that verify a DAG over a window with row-level diffs as failure messages.
 *
 * ```ts
 * import { expect, test } from 'vitest';
 * import { createHarness } from 'dagbox/testing'; // also registers the matchers
 *
 * test('nps loads are safe to backfill', async () => {
 *   await using h = await createHarness({ dags: 'dags' });
 *   await h.backfill('mysql_to_redshift_v2', '2021-02-05', '2021-02-08');
 *   expect(await h.rows('raw_data.nps')).toHaveLength(12);
 *   await expect(h.dag('mysql_to_redshift_v2')).toBeIdempotent({ from: '2021-02-05', to: '2021-02-08' });
 *   await expect(h.dag('mysql_to_redshift_v2')).toBeBackfillSafe({ from: '2021-02-05', to: '2021-02-08' });
 * });
 * ```
 *
 *
 * src/testing/: the public `dagbox/testing` entry, side by side with cli/ and dev/ on app/.
 *
 * May import: app/ and every folder below it; never cli/ or dev/ (the layers are checked by
 * .dependency-cruiser.cjs).
 * @module
 */
import { expect } from 'vitest';
import type { Harness, HarnessDag, WindowRange } from './harness.ts';
import { formatCheckResult, windowLabel, type CheckId, type DagVerification } from '../verify/index.ts';

export { createHarness, BackfillError } from './harness.ts';
export type { Harness, HarnessDag, HarnessOptions, WindowRange, VerifyRangeOptions } from './harness.ts';

/** The matchers dagbox adds to vitest's `expect` (registered when this module is imported). */
export interface DagboxMatchers<R = unknown> {
  /**
   * Check 1 over `[from, to)` from the fixtures: each interval run twice leaves the same tables.
   * Fails with the row-level diff of the first intervals whose re-run changed something.
   */
  toBeIdempotent(range: WindowRange): Promise<R>;
  /**
   * Checks 2 and 3 over `[from, to)` from the fixtures: the window run backwards leaves the same
   * tables as in date order, and replaying its middle interval changes nothing.
   */
  toBeBackfillSafe(range: WindowRange): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends DagboxMatchers<T> {}
}

expect.extend({
  async toBeIdempotent(received: unknown, range: WindowRange) {
    return verdict(received, range, ['runs', 'idempotency'], 'idempotent', this.isNot);
  },
  async toBeBackfillSafe(received: unknown, range: WindowRange) {
    return verdict(received, range, ['runs', 'backfill-order', 'replay'], 'safe to backfill', this.isNot);
  },
});

async function verdict(received: unknown, range: WindowRange, checks: CheckId[], what: string, isNot: boolean) {
  const target = asHarnessDag(received);
  const v: DagVerification = await target.harness.verify(target.id, { ...range, checks });
  const failed = v.checks.filter((c) => c.status === 'fail');
  // A check asked for that did not run, or has nothing to check here, proves nothing.
  const skipped = v.checks.filter((c) => (c.status === 'not-run' || c.status === 'not-applicable') && c.check !== 'runs');
  const pass = failed.length === 0 && skipped.length === 0;
  const window = windowLabel(v.intervals);
  const details = (list: typeof v.checks) => list.flatMap((c) => formatCheckResult(c, { color: false, maxFailures: 5 })).join('\n');
  return {
    pass,
    message: () =>
      isNot
        ? `expected DAG "${target.id}" not to be ${what} over ${window}, but it is:\n${details(v.checks)}`
        : `expected DAG "${target.id}" to be ${what} over ${window}:\n${details([...failed, ...skipped])}`,
  };
}

function asHarnessDag(value: unknown): HarnessDag {
  const v = value as Partial<HarnessDag> | null;
  if (v && typeof v === 'object' && typeof v.id === 'string' && v.harness && typeof (v.harness as Harness).verify === 'function') return v as HarnessDag;
  throw new TypeError('expect(...).toBeIdempotent / toBeBackfillSafe expect a DAG of a harness: expect(h.dag("my_dag")), with h = await createHarness(...)');
}
