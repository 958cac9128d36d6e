import type { TaskState } from '../dag/types.ts';
import { isXComArg } from '../dag/dag.ts';
import type { RunPlan, TaskPlan } from './plan.ts';
import type { RunShared } from './run-shared.ts';
import { slotsOf } from './slots.ts';
import type { Slots } from './slots.ts';
import { errorMessage } from '../shared/errors.ts';
import { pendingResult, resolveValue, runTaskInstance, setTaskState } from './task-instance.ts';
import type { InstanceOutcome } from './task-instance.ts';
import { countUpstream, emptyTally, evaluateTriggerRule } from '../dag/trigger-rules.ts';
import type { TriggerDecision, UpstreamTally } from '../dag/trigger-rules.ts';
import type { DagRunResult, TaskInstanceResult } from './types.ts';

const RUN_MODE = { retries: true, callbacks: true } as const;

/** A task instance waiting for a slot. */
interface ReadyItem {
  index: number;
  mapIndex: number;
  mapped: Record<string, unknown>;
  result: TaskInstanceResult;
  priority: number;
  seq: number;
}

/**
 * The task queue of one DAG run (not Airflow's scheduler, which decides which runs exist: that is
 * src/schedule/ and runIntervals). Runs the task instances of one DAG run: Kahn's algorithm driven by trigger rules. A task is
 * decided when its trigger rule's outcome is certain (run, skipped or upstream_failed); a mapped
 * task is expanded then into one instance per element. Instances to run wait in a ready queue,
 * highest priority first, for one of `limit` slots of the run and for their pool's slots. A
 * control-flow task (branch, short-circuit, latest-only) skips downstream tasks when it ends.
 * Ends when nothing runs and nothing is ready; tasks still undecided then could never run
 * (dependsOnPast, unknown upstream, a cycle).
 */
export class TaskQueue {
  private readonly tasks: TaskPlan[];
  private readonly tallies: UpstreamTally[];
  /** Upstream task instances per task: grows when a mapped upstream task expands. */
  private readonly upstreamCounts: number[];
  private readonly decided: boolean[];
  /**
   * The loop of Airflow's scheduler (as `airflow dags test` runs it) in which each task was
   * decided or ran; 0 while unknown. Airflow decides a task on the states its upstream tasks
   * had when the loop began, which matters when one upstream skipped and another failed.
   */
  private readonly waves: number[];
  /** The final states of each task's upstream task instances so far, with the loop they ended in. */
  private readonly seen: { state: TaskState; wave: number }[][];
  /** Instances of each task whose final state was counted downstream. */
  private readonly settled: number[];
  /** Instances of each task: the single result, or one per map index once a mapped task expanded. */
  private readonly instances: TaskInstanceResult[][];
  private ready: ReadyItem[] = [];
  private seq = 0;
  private running = 0;
  private readonly slots: Slots;
  private resolveDone: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Why an undecided task did not run, when known. */
  readonly blocked = new Map<number, string>();
  /** The map index inputs of tasks mapped over literal lists only, known from the start. */
  private readonly literalMaps = new Map<number, Record<string, unknown>[]>();

  constructor(
    private readonly shared: RunShared,
    plan: RunPlan,
    private readonly results: TaskInstanceResult[],
    private readonly limit: number,
    private readonly previous: DagRunResult | null,
    /** A stop request: once aborted, no further task starts. */
    private readonly signal?: AbortSignal,
  ) {
    this.tasks = plan.tasks;
    this.tallies = plan.tasks.map(() => emptyTally());
    this.upstreamCounts = plan.tasks.map((t) => t.upstream.length + t.unknownUpstream.length);
    this.decided = plan.tasks.map(() => false);
    this.waves = plan.tasks.map(() => 0);
    this.seen = plan.tasks.map(() => []);
    this.settled = plan.tasks.map(() => 0);
    this.instances = results.map((r) => [r]);
    this.slots = slotsOf(shared.env);
    // Airflow expands a task mapped over literals when the run is created: downstream tasks count its instances from the start.
    for (const t of plan.tasks) {
      if (!t.mapped || Object.values(t.task.mapped ?? {}).some((v) => isXComArg(v))) continue;
      let combos: Record<string, unknown>[];
      try {
        combos = this.expand(t);
      } catch {
        continue;
      }
      if (combos.length === 0) continue;
      this.literalMaps.set(t.index, combos);
      for (const d of t.downstream) this.upstreamCounts[d]! += combos.length - 1;
    }
  }

  /** Run every task that can run; resolves when the run has nothing left to do. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.resolveDone = () => {
        this.unsubscribe?.();
        resolve();
      };
      this.unsubscribe = this.slots.onGive(() => this.pump());
      for (const t of this.tasks) {
        if (t.unknownUpstream.length > 0) continue;
        if (t.upstream.length === 0 || t.triggerRule === 'always') this.settleDecision(t.index);
      }
      this.pump();
    });
  }

  /** Every task instance in declaration order, mapped tasks by map index. */
  allResults(): TaskInstanceResult[] {
    return this.instances.flat();
  }

  /** The instances of one task. */
  instancesOf(index: number): TaskInstanceResult[] {
    return this.instances[index]!;
  }

  private pump(): void {
    if (this.signal?.aborted) return;
    for (let k = 0; k < this.ready.length && this.running < this.limit; ) {
      const item = this.ready[k]!;
      const plan = this.tasks[item.index]!;
      if (this.slots.tryTake(plan.pool, plan.poolSlots, this.taskKey(plan), plan.maxActiveTisPerDag)) {
        this.ready.splice(k, 1);
        this.start(item);
      } else k++;
    }
    if (this.running === 0 && this.ready.length === 0) this.resolveDone?.();
  }

  private taskKey(plan: TaskPlan): string {
    return `${this.shared.dagId}\u0000${plan.id}`;
  }

  private start(item: ReadyItem): void {
    this.running++;
    this.shared.time.started();
    const plan = this.tasks[item.index]!;
    runTaskInstance(this.shared, plan, item.result, RUN_MODE, { mapIndex: item.mapIndex, mapped: item.mapped }).then(
      (outcome) => this.onInstanceDone(item, outcome),
      (error: unknown) => {
        // runTaskInstance never rejects; if it does, it is a dagbox bug: fail the task, keep the run going.
        item.result.error = `dagbox internal error: ${(error as Error)?.stack ?? String(error)}`;
        setTaskState(this.shared, item.result, 'failed', item.result.error);
        this.onInstanceDone(item, { state: 'failed', skip: [] });
      },
    );
  }

  private onInstanceDone(item: ReadyItem, outcome: InstanceOutcome): void {
    const plan = this.tasks[item.index]!;
    this.running--;
    this.shared.time.ended();
    for (const id of outcome.skip) this.skipTask(this.shared.plan.byId.get(id)!.index, this.waves[item.index]!);
    this.settle(item.index, outcome.state);
    this.slots.give(plan.pool, plan.poolSlots, this.taskKey(plan));
    this.pump();
  }

  /**
   * Skip a task on a control-flow task's word: an undecided task, or one whose instances wait in
   * the ready queue, ends skipped (Airflow sets them skipped in the database); one that already
   * runs or ran keeps its state.
   */
  private skipTask(index: number, wave: number): void {
    if (!this.decided[index]) {
      this.decided[index] = true;
      this.waves[index] = wave;
      this.blocked.delete(index);
      this.endWithout(index, 'skipped');
      for (let i = 0; i < this.instances[index]!.length; i++) this.settle(index, 'skipped');
      return;
    }
    const waiting = this.ready.filter((r) => r.index === index);
    if (waiting.length === 0) return;
    this.ready = this.ready.filter((r) => r.index !== index);
    for (const item of waiting) {
      setTaskState(this.shared, item.result, 'skipped');
      this.settle(index, 'skipped');
    }
  }

  /** Propagate a final state downstream, iteratively (a long chain of upstream_failed must not overflow the stack). */
  private settle(index: number, state: TaskState): void {
    const work: [number, TaskState][] = [[index, state]];
    for (let item = work.pop(); item; item = work.pop()) {
      const [from, fromState] = item;
      this.settled[from]!++;
      for (const d of this.tasks[from]!.downstream) {
        if (this.decided[d]) continue;
        countUpstream(this.tallies[d]!, fromState);
        this.seen[d]!.push({ state: fromState, wave: this.waves[from]! });
        const outcome = this.decide(d);
        if (outcome) for (let i = 0; i < this.instances[d]!.length; i++) work.push([d, outcome]);
      }
    }
  }

  /** Decide a task and propagate a state it ends in without running. */
  private settleDecision(index: number): void {
    const outcome = this.decide(index);
    if (outcome) for (let i = 0; i < this.instances[index]!.length; i++) this.settle(index, outcome);
  }

  /** Decide a task if its trigger rule allows; returns the final state when it ended without running. */
  private decide(index: number): TaskState | null {
    const plan = this.tasks[index]!;
    const eager = evaluateTriggerRule(plan.triggerRule, this.tallies[index]!, this.upstreamCounts[index]!);
    if (eager === 'wait') return null;
    // A task runs as soon as it may (as under a real scheduler); a state it gets without running
    // is the one Airflow's loop would give it, which may have to wait for a sibling upstream.
    const wave = eager === 'run' ? { decision: eager, wave: this.runWave(index) } : this.waveDecision(index);
    if (!wave || wave.decision === 'wait') return null;
    const decision = wave.decision;
    this.decided[index] = true;
    this.waves[index] = wave.wave;
    const result = this.results[index]!;
    if (decision !== 'run') {
      this.endWithout(index, decision);
      return decision;
    }
    const blocker = this.pastBlocker(plan);
    if (blocker) {
      this.blocked.set(index, blocker);
      result.error = blocker;
      return null;
    }
    const slotProblem = this.slots.problem(plan.pool, plan.poolSlots);
    if (slotProblem) return this.failWithout(result, `task "${plan.id}" cannot run: ${slotProblem}`);
    if (!plan.mapped) {
      this.enqueue(index, -1, {}, result);
      return null;
    }
    let combos: Record<string, unknown>[];
    try {
      combos = this.expand(plan);
    } catch (error) {
      return this.failWithout(result, errorMessage(error));
    }
    if (combos.length === 0) {
      result.error = `task "${plan.id}" is mapped over an empty list, so it has no instance (skipped, as in Airflow)`;
      setTaskState(this.shared, result, 'skipped');
      return 'skipped';
    }
    this.shared.xcom.markMapped(plan.id);
    this.instances[index] = combos.map((_, i) => pendingResult(plan.id, i));
    if (!this.literalMaps.has(index)) for (const d of plan.downstream) this.upstreamCounts[d]! += combos.length - 1;
    combos.forEach((mapped, i) => this.enqueue(index, i, mapped, this.instances[index]![i]!));
    return null;
  }

  /** The loop in which Airflow would first see that the task may run. */
  private runWave(index: number): number {
    const plan = this.tasks[index]!;
    if (plan.upstream.length === 0 || plan.triggerRule === 'always') return 1;
    for (const loop of this.loops(index)) {
      if (evaluateTriggerRule(plan.triggerRule, this.tallyBefore(index, loop), this.upstreamCounts[index]!) === 'run') return loop;
    }
    return Math.max(1, ...this.seen[index]!.map((e) => e.wave + 1));
  }

  /**
   * The state Airflow's loop gives a task that does not run, and the loop it gets it in: the
   * first loop whose view of the upstream states decides it. Null while an upstream task that
   * could have ended before that loop is still unknown.
   */
  private waveDecision(index: number): { decision: TriggerDecision; wave: number } | null {
    const plan = this.tasks[index]!;
    for (const loop of this.loops(index)) {
      if (!this.knownBefore(index, loop)) return null;
      const decision = evaluateTriggerRule(plan.triggerRule, this.tallyBefore(index, loop), this.upstreamCounts[index]!);
      if (decision !== 'wait') return { decision, wave: loop };
    }
    return null;
  }

  /** Loops in which the task's view of its upstream changes: one after each loop an upstream ended in. */
  private loops(index: number): number[] {
    return [...new Set(this.seen[index]!.map((e) => e.wave + 1))].sort((a, b) => a - b);
  }

  private tallyBefore(index: number, loop: number): UpstreamTally {
    const tally = emptyTally();
    for (const e of this.seen[index]!) if (e.wave < loop) countUpstream(tally, e.state);
    return tally;
  }

  /** Whether every upstream task that may end before `loop` has ended. */
  private knownBefore(index: number, loop: number): boolean {
    for (const u of this.tasks[index]!.upstream) {
      if (this.isFinished(u)) continue;
      const earliest = this.decided[u] ? this.waves[u]! : this.earliestWave(u);
      if (earliest < loop) return false;
    }
    return true;
  }

  /** A lower bound of the loop an undecided task ends in: one after its first unfinished upstream can. */
  private earliestWave(index: number): number {
    let earliest = Infinity;
    for (const v of this.tasks[index]!.upstream) {
      if (this.isFinished(v)) continue;
      earliest = Math.min(earliest, this.decided[v] ? this.waves[v]! : 2);
    }
    return earliest + 1;
  }

  /** Every instance of the task ended and was counted downstream. */
  private isFinished(index: number): boolean {
    return this.decided[index]! && this.settled[index]! >= this.instances[index]!.length;
  }

  /**
   * End a task without running it. A task mapped over literal lists only has its instances from
   * the start of the run in Airflow, so each of them gets the state; any other task gets it once.
   */
  private endWithout(index: number, state: TaskState): void {
    const combos = this.literalMaps.get(index);
    if (combos) this.instances[index] = combos.map((_, i) => pendingResult(this.tasks[index]!.id, i));
    for (const r of this.instances[index]!) setTaskState(this.shared, r, state);
  }

  private failWithout(result: TaskInstanceResult, error: string): TaskState {
    result.error = this.shared.env.masker.mask(error);
    setTaskState(this.shared, result, 'failed', result.error);
    return 'failed';
  }

  private enqueue(index: number, mapIndex: number, mapped: Record<string, unknown>, result: TaskInstanceResult): void {
    setTaskState(this.shared, result, 'scheduled');
    const item: ReadyItem = { index, mapIndex, mapped, result, priority: this.tasks[index]!.priority, seq: this.seq++ };
    // Highest priority first; equal priorities in the order they became ready.
    let at = this.ready.length;
    while (at > 0 && this.ready[at - 1]!.priority < item.priority) at--;
    this.ready.splice(at, 0, item);
  }

  /**
   * The input of each map index: the cross product of the `.expand()` lists, in key order (as
   * Airflow numbers them). An object expands to its `[key, value]` entries.
   */
  private expand(plan: TaskPlan): Record<string, unknown>[] {
    let combos: Record<string, unknown>[] = [{}];
    for (const [key, given] of Object.entries(plan.task.mapped ?? {})) {
      const value = resolveValue(this.shared, plan, key, given);
      const list = Array.isArray(value)
        ? value
        : value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
          ? Object.entries(value)
          : null;
      if (!list) {
        const from = isXComArg(given) ? ` (the output of "${given.task.id}")` : '';
        throw new Error(`task "${plan.id}" expands over "${key}"${from}, which is ${JSON.stringify(value)}; expected a list or an object`);
      }
      combos = combos.flatMap((c) => list.map((v) => ({ ...c, [key]: v })));
    }
    return combos;
  }

  /** Why dependsOnPast keeps a task from running, or null when it may run. */
  private pastBlocker(plan: TaskPlan): string | null {
    if (!plan.dependsOnPast || !this.previous) return null;
    const before = this.previous.tasks.filter((t) => t.taskId === plan.id);
    const bad = before.find((t) => t.state !== 'success' && t.state !== 'skipped');
    if (before.length === 0 || !bad) return null;
    return (
      `dependsOnPast: task "${plan.id}" ended ${bad.state} in the previous run ${this.previous.runId}, ` +
      'so it does not run here; re-run the previous interval first'
    );
  }

  /** Undecided tasks with the reason each did not run, for the run's error. */
  stuckTasks(): { id: string; reason: string }[] {
    const out: { id: string; reason: string }[] = [];
    for (const plan of this.tasks) {
      if (this.instances[plan.index]!.some((r) => r.state !== 'none')) continue;
      out.push({ id: plan.id, reason: this.blocked.get(plan.index) ?? this.waitingReason(plan) });
    }
    return out;
  }

  private waitingReason(plan: TaskPlan): string {
    if (plan.unknownUpstream.length > 0) {
      return `its upstream ${plan.unknownUpstream.map((id) => `"${id}"`).join(', ')} is not a task of the DAG`;
    }
    const waiting = plan.upstream.filter((u) => this.instances[u]!.every((r) => r.state === 'none')).map((u) => `"${this.tasks[u]!.id}"`);
    return `waits for ${waiting.join(', ')}, which did not run`;
  }
}
