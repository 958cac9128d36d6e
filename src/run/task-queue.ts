import type { TaskState } from '../dag/types.ts';
import type { RunPlan, TaskPlan } from './plan.ts';
import type { RunShared } from './run-shared.ts';
import { runTaskInstance, setTaskState } from './task-instance.ts';
import { countUpstream, emptyTally, evaluateTriggerRule } from './trigger-rules.ts';
import type { UpstreamTally } from './trigger-rules.ts';
import type { DagRunResult, TaskInstanceResult } from './types.ts';

const RUN_MODE = { retries: true, callbacks: true } as const;

/**
 * The task queue of one DAG run (not Airflow's scheduler, which decides which runs exist: that is
 * src/schedule/ and runIntervals). Runs the task instances of one DAG run: Kahn's algorithm driven by trigger rules. A task is
 * decided when its trigger rule's outcome is certain (run, skipped or upstream_failed); tasks to
 * run wait in a ready queue for one of `limit` slots. Ends when nothing runs and nothing is
 * ready; tasks still undecided then could never run (dependsOnPast, unknown upstream, a cycle).
 */
export class TaskQueue {
  private readonly tasks: TaskPlan[];
  private readonly tallies: UpstreamTally[];
  private readonly decided: boolean[];
  private readonly ready: number[] = [];
  private readyHead = 0;
  private running = 0;
  private resolveDone: (() => void) | null = null;
  /** Why an undecided task did not run, when known. */
  readonly blocked = new Map<number, string>();

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
    this.decided = plan.tasks.map(() => false);
  }

  /** Run every task that can run; resolves when the run has nothing left to do. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.resolveDone = resolve;
      for (const t of this.tasks) if (t.upstream.length === 0 && t.unknownUpstream.length === 0) this.decide(t.index);
      this.pump();
    });
  }

  private pump(): void {
    if (this.signal?.aborted) return;
    while (this.running < this.limit && this.readyHead < this.ready.length) this.start(this.ready[this.readyHead++]!);
    if (this.running === 0 && this.readyHead === this.ready.length) this.resolveDone?.();
  }

  private start(index: number): void {
    this.running++;
    const plan = this.tasks[index]!;
    runTaskInstance(this.shared, plan, this.results[index]!, RUN_MODE).then(
      (state) => this.onTaskDone(index, state),
      (error: unknown) => {
        // runTaskInstance never rejects; if it does, it is a dagbox bug: fail the task, keep the run going.
        this.results[index]!.error = `dagbox internal error: ${(error as Error)?.stack ?? String(error)}`;
        setTaskState(this.shared, this.results[index]!, 'failed', this.results[index]!.error);
        this.onTaskDone(index, 'failed');
      },
    );
  }

  private onTaskDone(index: number, state: TaskState): void {
    this.running--;
    this.settle(index, state);
    this.pump();
  }

  /** Propagate a final state downstream, iteratively (a long chain of upstream_failed must not overflow the stack). */
  private settle(index: number, state: TaskState): void {
    const work: [number, TaskState][] = [[index, state]];
    for (let item = work.pop(); item; item = work.pop()) {
      const [from, fromState] = item;
      for (const d of this.tasks[from]!.downstream) {
        if (this.decided[d]) continue;
        countUpstream(this.tallies[d]!, fromState);
        const outcome = this.decide(d);
        if (outcome) work.push([d, outcome]);
      }
    }
  }

  /** Decide a task if its trigger rule allows; returns the final state when it was decided without running. */
  private decide(index: number): TaskState | null {
    const plan = this.tasks[index]!;
    const upstreamCount = plan.upstream.length + plan.unknownUpstream.length;
    const decision = evaluateTriggerRule(plan.triggerRule, this.tallies[index]!, upstreamCount);
    if (decision === 'wait') return null;
    this.decided[index] = true;
    const result = this.results[index]!;
    if (decision !== 'run') {
      setTaskState(this.shared, result, decision);
      return decision;
    }
    const blocker = this.pastBlocker(plan);
    if (blocker) {
      this.blocked.set(index, blocker);
      result.error = blocker;
      return null;
    }
    setTaskState(this.shared, result, 'scheduled');
    this.ready.push(index);
    return null;
  }

  /** Why dependsOnPast keeps a task from running, or null when it may run. */
  private pastBlocker(plan: TaskPlan): string | null {
    if (!plan.dependsOnPast || !this.previous) return null;
    const before = this.previous.tasks.find((t) => t.taskId === plan.id);
    if (!before || before.state === 'success' || before.state === 'skipped') return null;
    return (
      `dependsOnPast: task "${plan.id}" ended ${before.state} in the previous run ${this.previous.runId}, ` +
      'so it does not run here; re-run the previous interval first'
    );
  }

  /** Undecided tasks with the reason each did not run, for the run's error. */
  stuckTasks(): { id: string; reason: string }[] {
    const out: { id: string; reason: string }[] = [];
    for (const plan of this.tasks) {
      if (this.results[plan.index]!.state !== 'none') continue;
      out.push({ id: plan.id, reason: this.blocked.get(plan.index) ?? this.waitingReason(plan) });
    }
    return out;
  }

  private waitingReason(plan: TaskPlan): string {
    if (plan.unknownUpstream.length > 0) {
      return `its upstream ${plan.unknownUpstream.map((id) => `"${id}"`).join(', ')} is not a task of the DAG`;
    }
    const waiting = plan.upstream.filter((u) => this.results[u]!.state === 'none').map((u) => `"${this.tasks[u]!.id}"`);
    return `waits for ${waiting.join(', ')}, which did not run`;
  }
}
