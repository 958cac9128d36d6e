import type { Dag } from '../dag/dag.ts';
import type { DataInterval } from '../dag/types.ts';
import type { DagRunResult } from '../run/index.ts';
import type { Snapshot } from '../snapshot/index.ts';
import type { ServiceClients } from '../snapshot/service-clients.ts';
import { inScope } from '../shared/task-scope.ts';
import { verifyDb, type VerifyDb } from './db.ts';
import { DiffEngine } from './diff.ts';
import { FaultTracker, faultHooks } from './faults.ts';
import { instrumentDag } from './instrument.ts';
import { Keeper, type KeptState } from './keeper.ts';
import { Reorderer } from './perturb.ts';
import type { DagRunner, IntervalRunner } from './runner.ts';
import type { TableSettings } from './settings.ts';
import { compareStates, StateReader } from './state.ts';
import type { StateChanges, StateFingerprint, TableFingerprint } from './types.ts';

/** What verification needs of a session (a {@link Session} has all of it). */
/** How much later a re-run's wall clock is than the first run's: a day (and an hour more for the diff's run), inside the wall-clock hint's window. */
const WALL_CLOCK_SHIFT_MS = 24 * 3600_000;

export interface VerifySession {
  readonly clients: Partial<ServiceClients>;
  snapshot(name: string): Promise<Snapshot | null>;
  restore(snap: Snapshot | null): Promise<unknown>;
  dropSnapshot(snap: Snapshot | null): Promise<void>;
}

/** A run made by verification, with the step that made it. */
export interface VerifyRun {
  readonly step: string;
  readonly run: DagRunResult;
}

/** Whether a run is usable: `ok`, failed only in data-check tasks (check 6), or broken. */
export type RunVerdict = 'ok' | 'data-check' | 'broken';

const CHECK_TASK = /(^|[._-])(check|checks|validate|assert|dq)([._-]|$)|check$/i;

/**
 * Everything the checks share for one DAG: the session's services (fingerprints, diffs, kept
 * copies), the runner, the settings and the runs made so far.
 */
export class VerifyContext {
  readonly db: VerifyDb;
  readonly reader: StateReader;
  readonly engine: DiffEngine;
  readonly keeper: Keeper;
  readonly runs: VerifyRun[] = [];
  /** SQL each task sent in the last re-run, by task id (evidence for hints). */
  readonly statements = new Map<string, string[]>();

  constructor(
    readonly session: VerifySession,
    readonly runner: IntervalRunner,
    readonly settings: TableSettings,
    readonly log: (line: string) => void = () => {},
  ) {
    this.db = verifyDb(session.clients);
    this.reader = new StateReader(this.db, settings);
    this.engine = new DiffEngine(this.db, settings);
    this.keeper = new Keeper(this.db);
  }

  /** The DAG, when the runner has it (needed for fault injection). */
  get dag(): Dag | null {
    return (this.runner as Partial<DagRunner>).dag ?? null;
  }

  capture(): Promise<StateFingerprint> {
    return this.reader.capture();
  }

  /** Run one interval and remember the run under `step`. */
  async run(step: string, interval: DataInterval, previous: DagRunResult | null = null): Promise<DagRunResult> {
    const shift = wallClockShiftFor(step);
    const run = await inScope({ check: step }, () => this.runner.run(interval, previous, shift > 0 ? { wallClockShiftMs: shift } : {}));
    this.runs.push({ step, run });
    return run;
  }

  /**
   * Run one interval on the same data in another physical order (the idempotency re-run): every
   * table is rewritten backwards first, and after each task the tables it wrote. Runners without
   * the DAG (the dev worker) get the tables reversed before the run only.
   */
  async runReordered(step: string, interval: DataInterval, previous: DagRunResult | null = null): Promise<{ run: DagRunResult; undo: () => Promise<void> }> {
    const reorderer = new Reorderer(this.db, () => this.capture(), (line) => this.log(`DAG ${this.runner.dagId}, check idempotency (${step}): ${line}`));
    await reorderer.reorderChanged();
    const undo = () => reorderer.undo();
    const runner = this.runner as Partial<DagRunner>;
    if (!runner.runWith || !runner.dag) return { run: await this.run(step, interval, previous), undo };
    const wrapped = instrumentDag(runner.dag, async (_tctx, body) => {
      const value = await body();
      await reorderer.reorderChanged();
      return value;
    });
    const run = await inScope({ check: step }, () => runner.runWith!(
      wrapped,
      interval,
      (tctx, base) => {
        const tracker = new FaultTracker(tctx.taskId, null);
        this.statements.set(tctx.taskId, tracker.ops.statements ?? []);
        return faultHooks(tracker, base);
      },
      previous,
      { wallClockShiftMs: wallClockShiftFor(step) },
    ));
    this.runs.push({ step, run });
    return { run, undo };
  }

  /** Remember runs made elsewhere (several at once, by the order check). */
  record(step: string, runs: readonly DagRunResult[]): void {
    for (const run of runs) this.runs.push({ step, run });
  }

  /** Is the run usable for comparisons? Failures of data-check tasks alone leave it usable. */
  verdict(run: DagRunResult): RunVerdict {
    if (run.state === 'success') return 'ok';
    const failed = run.tasks.filter((t) => t.state === 'failed');
    if (failed.length > 0 && failed.every((t) => this.isDataCheck(t.taskId))) return 'data-check';
    return 'broken';
  }

  /** Tasks that check data: operators whose kind names a check (columnCheck, tableCheck, ...) or tasks named so. */
  isDataCheck(taskId: string): boolean {
    const kind = this.dag?.tasks.get(taskId)?.kind ?? '';
    return /check/i.test(kind) || CHECK_TASK.test(taskId);
  }

  /** Restore a session snapshot, keeping `kept` copies usable across it. */
  async restore(snap: Snapshot | null, kept: readonly (KeptState | null | undefined)[] = []): Promise<void> {
    await this.keeper.acrossRestore(kept, async () => void (await this.session.restore(snap)));
  }

  /** Keep, as they are now, the tables and objects of `after` that `changes` touch (those that still exist). */
  keepChanged(label: string, changes: StateChanges): Promise<KeptState> {
    const tables = changes.tables.map((c) => c.after).filter((t): t is TableFingerprint => t !== null);
    const objects = changes.objects.map((c) => c.after).filter((o) => o !== null);
    return this.keeper.keep(label, tables, objects);
  }

  /** Compare two fingerprints. */
  compare(before: StateFingerprint, after: StateFingerprint, missingIsEmpty = false): StateChanges {
    return compareStates(before, after, { missingIsEmpty });
  }
}

/**
 * How far the warehouse's wall clock runs ahead in a verification step: a re-run happens "a day
 * later", so that GETDATE(), now() and DEFAULT GETDATE() columns differ from the first run's and
 * show up in the diff; the run made for the diff is an hour later again, so that it differs from
 * the re-run too.
 */
function wallClockShiftFor(step: string): number {
  if (step === 're-run (for the diff)') return WALL_CLOCK_SHIFT_MS + 3600_000;
  return step.startsWith('re-run') || step === 'replay' ? WALL_CLOCK_SHIFT_MS : 0;
}
