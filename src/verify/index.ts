/**
 * Verification: prove a DAG idempotent and safe to backfill, or show the rows that differ.
 *
 * - {@link verifyDag}: checks 1-6 over a window (`dagbox test`, `dags backfill --verify`, the vitest matchers).
 * - {@link checkIdempotency}: check 1 for one interval on the current state (`dagbox dev`).
 * - {@link StateReader} / {@link compareStates}: in-database fingerprints of every table and object.
 * - {@link formatCheckResult}, {@link formatVerification}, {@link formatStateDiff}: text for people.
 *
 * ```ts
 * const fixtures = await session.snapshot('fixtures');
 * const report = await verifyDag(session, dag, env, { intervals, fixtures, faults: true });
 * console.log(formatVerification(report).join('\n'));
 * ```
 *
 * May import: run/, dag/, config/, template/, schedule/, snapshot/, sql/, shared/; not services/
 * (it needs clients, not the server launcher) (the layers are checked by .dependency-cruiser.cjs).
 *
 * @module
 */
export { verifyDag, CHECK_TITLES, type VerifyDagOptions } from './verify-dag.ts';
export { checkIdempotency, type CheckIdempotencyOptions, type IdempotencyTarget } from './check-idempotency.ts';
export { formatCheckResult, formatStateDiff, formatVerification, statusCounts, STATUS_WORD, VERDICT_WORD, type FormatOptions } from './format.ts';
export { reportJson, reportJunit, reportMarkdown, type TestReport } from './report.ts';
export { StateReader, compareStates, describeChanges, noChanges } from './state.ts';
export { verifyDb, type VerifyDb } from './db.ts';
export { TableSettings } from './settings.ts';
export { InjectedFault, type FaultPoint } from './faults.ts';
export { dagRunner, type DagRunner, type IntervalRunner } from './runner.ts';
export type { VerifySession } from './context.ts';
export { shuffle } from './checks/order.ts';
export { intervalLabel, windowLabel } from './labels.ts';
export type * from './types.ts';
