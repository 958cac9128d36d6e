import type { Dag } from '../dag/dag.ts';
import { manualInterval } from '../schedule/index.ts';
import { runDagRun } from './dag-run.ts';
import { DatasetQueue, type RequestedRun } from './dataset-triggers.ts';
import { scheduleSpecOf } from './schedule-spec.ts';
import type { DagRunResult, RunEnvironment, TriggerRequest } from './types.ts';

/** How many follow-up runs one command may start before dagbox suspects a trigger loop. */
const MAX_FOLLOW_UPS = 200;

/**
 * Runs what other runs ask for, in one process, as Airflow's scheduler would pick them up:
 * dataset-triggered runs (a producer's task updated every dataset a DAG is scheduled on) and
 * TriggerDagRunOperator runs (`ctx.triggerDagRun`). Give commands `coordinator.env()`, call
 * `after(run)` for every run they make, and `drain()` at the end.
 *
 * ```ts
 * const c = new RunCoordinator(bag.dags.map((d) => d.dag), env, { onRun: (run) => console.log(run.runId) });
 * c.after(await runDagRun(dag, interval, c.env()));
 * await c.drain();
 * ```
 */
export class RunCoordinator {
  private readonly queue: RequestedRun[] = [];
  private readonly datasets: DatasetQueue;
  private readonly byId: Map<string, Dag>;
  private started = 0;

  constructor(
    dags: Iterable<Dag>,
    private readonly base: RunEnvironment,
    private readonly opts: { onRun?: (run: DagRunResult, request: RequestedRun) => void } = {},
  ) {
    this.byId = new Map([...dags].map((d) => [d.id, d]));
    this.datasets = new DatasetQueue(this.byId.values());
  }

  /** The environment runs should use: the given one, able to trigger other DAGs. */
  env(): RunEnvironment {
    return { ...this.base, triggerDagRun: (request) => this.onTrigger(request) };
  }

  /** Note a finished run: the dataset-triggered runs it completes are queued. */
  after(run: DagRunResult): void {
    this.queue.push(...this.datasets.record(run));
  }

  /** Run every queued run, and what those runs queue in turn; returns them in the order they ran. */
  async drain(): Promise<DagRunResult[]> {
    const done: DagRunResult[] = [];
    for (let next = this.queue.shift(); next; next = this.queue.shift()) done.push(await this.start(next));
    return done;
  }

  private async onTrigger(request: TriggerRequest): Promise<DagRunResult | null> {
    const dag = this.byId.get(request.dagId);
    if (!dag) throw new Error(`${request.from} triggers DAG "${request.dagId}", which is not loaded; \`dagbox dags list\` shows the DAGs`);
    const logicalDate = request.logicalDate ?? this.base.clock.now();
    const requested: RequestedRun = {
      dag,
      interval: manualInterval(scheduleSpecOf(dag), logicalDate),
      logicalDate,
      runType: 'manual',
      conf: request.conf,
      reason: `triggered by ${request.from}`,
    };
    if (!request.waitForCompletion) {
      this.queue.push(requested);
      return null;
    }
    return this.start(requested);
  }

  private async start(request: RequestedRun): Promise<DagRunResult> {
    if (++this.started > MAX_FOLLOW_UPS) {
      throw new Error(`more than ${MAX_FOLLOW_UPS} triggered runs in one command (the last: ${request.dag.id}, ${request.reason}); DAGs probably trigger each other in a loop`);
    }
    const run = await runDagRun(request.dag, request.interval, this.env(), {
      runType: request.runType,
      logicalDate: request.logicalDate,
      conf: request.conf,
      externalTrigger: request.runType === 'manual',
    });
    this.opts.onRun?.(run, request);
    this.after(run);
    return run;
  }
}
