/**
 * bench/executor: dagbox's executor overhead per task instance.
 *
 * 10,000 no-op task instances (a 10-task DAG, start -> 8 branches -> end, over 1,000 daily
 * intervals) through runIntervals with a VirtualClock and a RunStore in a temporary directory,
 * against a baseline measured in the same process: the same no-op functions awaited in a bare
 * topological loop. Overhead per task instance = (dagbox time - baseline time) / task instances.
 *
 *   npm run bench -- executor [--json] [--intervals 1000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnections } from '../src/config/connections.ts';
import { createVariables } from '../src/config/variables.ts';
import { Dag } from '../src/dag/dag.ts';
import type { DataInterval, TaskFunction } from '../src/dag/types.ts';
import { maskerFor, RunStore, runIntervals, VirtualClock } from '../src/run/index.ts';
import type { RunEnvironment } from '../src/run/index.ts';
import { figure, numberFlag, parseArgs, report } from './lib.ts';

const DAY_MS = 86_400_000;
const TARGET_MS = 1;

const noop: TaskFunction = async () => undefined;

/** start -> b1..b8 -> end: fan-out and fan-in, 10 tasks. */
function benchDag(): Dag {
  const dag = new Dag({ id: 'bench_executor', schedule: '@daily', startDate: '2020-01-01' });
  const start = dag.task('start', noop);
  const branches = Array.from({ length: 8 }, (_, i) => dag.task(`b${i + 1}`, noop));
  const end = dag.task('end', noop);
  start.to(branches);
  end.after(branches);
  return dag;
}

function dailyIntervals(n: number): DataInterval[] {
  const first = Date.UTC(2020, 0, 1);
  return Array.from({ length: n }, (_, i) => ({ start: new Date(first + i * DAY_MS), end: new Date(first + (i + 1) * DAY_MS) }));
}

/** Kahn's algorithm over the finalised DAG: the bare loop's order. */
function topologicalOrder(dag: Dag): TaskFunction[] {
  dag.finalise();
  const indegree = new Map([...dag.tasks.values()].map((t) => [t.id, t.upstream.size]));
  const queue = [...dag.tasks.values()].filter((t) => t.upstream.size === 0);
  const order: TaskFunction[] = [];
  for (let task = queue.shift(); task; task = queue.shift()) {
    order.push(task.body as TaskFunction);
    for (const id of task.downstream) {
      const left = indegree.get(id)! - 1;
      indegree.set(id, left);
      if (left === 0) queue.push(dag.tasks.get(id)!);
    }
  }
  return order;
}

/** The baseline: the same functions, awaited in order, per interval. */
async function bareLoop(order: TaskFunction[], intervals: DataInterval[]): Promise<number> {
  const t0 = performance.now();
  for (const interval of intervals) {
    const ctx = { logicalDate: interval.start } as unknown as Parameters<TaskFunction>[0];
    for (const fn of order) await fn(ctx);
  }
  return performance.now() - t0;
}

async function dagboxRun(dag: Dag, intervals: DataInterval[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'dagbox-bench-'));
  try {
    const variables = createVariables({}, {});
    const connections = createConnections({}, {});
    const env: RunEnvironment = {
      variables,
      connections,
      masker: maskerFor(variables, connections),
      clock: new VirtualClock(new Date('2024-01-01T00:00:00Z')),
      store: await RunStore.open(dir),
    };
    const t0 = performance.now();
    const runs = await runIntervals(dag, intervals, env);
    const elapsed = performance.now() - t0;
    const failed = runs.filter((r) => r.state !== 'success');
    if (failed.length > 0) throw new Error(`${failed.length} benchmark runs failed, first: ${failed[0]!.error}`);
    return elapsed;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run the benchmark; returns the exit code (1 when the target is missed). */
export async function main(args: string[]): Promise<number> {
  const { flags } = parseArgs(args);
  const intervalCount = Math.round(numberFlag(flags, 'intervals', 1000));
  const dag = benchDag();
  const order = topologicalOrder(dag);
  const intervals = dailyIntervals(intervalCount);
  const instances = intervalCount * order.length;

  // Warm up both paths so the JIT has compiled them before anything is timed.
  await bareLoop(order, intervals.slice(0, 50));
  await dagboxRun(dag, intervals.slice(0, 50));

  const baselineMs = Math.min(await bareLoop(order, intervals), await bareLoop(order, intervals), await bareLoop(order, intervals));
  const dagboxMs = await dagboxRun(dag, intervals);
  const perInstance = dagboxMs / instances;
  const baselinePerInstance = baselineMs / instances;
  const overhead = (dagboxMs - baselineMs) / instances;

  return report(
    {
      name: 'executor',
      figures: [
        figure({ figure: 'dagbox overhead per task instance', value: overhead, unit: 'ms', baseline: baselinePerInstance, target: { below: TARGET_MS } }),
        figure({ figure: 'time per task instance', value: perInstance, unit: 'ms', baseline: baselinePerInstance }),
      ],
    },
    args,
    [
      `${instances} no-op task instances: ${order.length}-task DAG x ${intervalCount} daily intervals, runIntervals + VirtualClock + RunStore (temp dir)`,
      `dagbox ${dagboxMs.toFixed(1)} ms total; bare topological loop ${baselineMs.toFixed(2)} ms total (best of 3)`,
    ],
  );
}
