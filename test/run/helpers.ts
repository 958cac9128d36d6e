import { Dag } from '../../src/dag/dag.ts';
import type { DagOptions, DataInterval, Operator } from '../../src/dag/types.ts';
import { createConnections } from '../../src/config/connections.ts';
import { createVariables } from '../../src/config/variables.ts';
import { maskerFor, VirtualClock } from '../../src/run/index.ts';
import type { RunEnvironment, RunEvent } from '../../src/run/index.ts';

export const DAY_MS = 86_400_000;

/** The daily interval starting at midnight UTC of `ds`. */
export function day(ds: string): DataInterval {
  const start = new Date(`${ds}T00:00:00Z`);
  return { start, end: new Date(start.getTime() + DAY_MS) };
}

/** `n` consecutive daily intervals from `ds`. */
export function days(ds: string, n: number): DataInterval[] {
  const first = day(ds).start.getTime();
  return Array.from({ length: n }, (_, i) => ({ start: new Date(first + i * DAY_MS), end: new Date(first + (i + 1) * DAY_MS) }));
}

/** A daily DAG starting 2021-02-05. */
export function dag(id = 'test_dag', opts: Partial<DagOptions> = {}): Dag {
  return new Dag({ id, schedule: '@daily', startDate: '2021-02-05', ...opts });
}

export interface TestEnv extends RunEnvironment {
  clock: VirtualClock;
  events: RunEvent[];
}

/** A run environment on a virtual clock at 2021-02-06, recording events. */
export function testEnv(
  opts: { variables?: Record<string, unknown>; connections?: Record<string, string>; env?: NodeJS.ProcessEnv } & Partial<
    Omit<RunEnvironment, 'variables' | 'connections' | 'clock'>
  > = {},
): TestEnv {
  const { variables: vars = {}, connections: conns = {}, env = {}, ...rest } = opts;
  const variables = createVariables(vars, env);
  const connections = createConnections(conns, env);
  const events: RunEvent[] = [];
  return {
    variables,
    connections,
    masker: maskerFor(variables, connections),
    clock: new VirtualClock(new Date('2021-02-06T00:00:00Z')),
    onEvent: (e: RunEvent) => events.push(e),
    events,
    ...rest,
  };
}

/** An inline operator, typed on its own args (an `Operator<A>` does not widen to `Operator<object>` by itself). */
export function op<A extends object>(operator: Operator<A>): Operator<object> {
  return operator as unknown as Operator<object>;
}

/** A counter of tasks running at the same time. */
export function concurrency() {
  let now = 0;
  let max = 0;
  return {
    get max() {
      return max;
    },
    async around<T>(fn: () => Promise<T> | T): Promise<T> {
      now++;
      max = Math.max(max, now);
      try {
        // Yield a few turns so that everything that may run concurrently gets to start.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        return await fn();
      } finally {
        now--;
      }
    },
  };
}

/** States of a run's tasks by id. */
export function states(run: { tasks: { taskId: string; state: string }[] }): Record<string, string> {
  return Object.fromEntries(run.tasks.map((t) => [t.taskId, t.state]));
}
