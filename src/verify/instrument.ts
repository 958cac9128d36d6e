import { Dag, type Task } from '../dag/dag.ts';
import type { Operator, TaskArgs, TaskContext, TaskFunction } from '../dag/types.ts';

/** Wraps every task body of an instrumented DAG: runs code before and after it, or instead of it. */
export type TaskWrapper = (ctx: TaskContext, body: () => Promise<unknown>) => Promise<unknown>;

/**
 * A copy of `dag` whose task bodies run inside `wrap` (operators keep their kind, arguments and
 * templated fields: the wrapper only sees `execute`). Same ids, edges, options and arguments, but
 * for `args` overrides (a timeout for fault runs). Used by check 4 to fingerprint the state right
 * before a task and right after it failed.
 */
export function instrumentDag(dag: Dag, wrap: TaskWrapper, args: (task: Task) => Partial<TaskArgs> = () => ({})): Dag {
  dag.finalise();
  const copy = new Dag({ ...dag.options });
  for (const task of dag.tasks.values()) {
    copy.addTask(task.id, wrapBody(task.body, wrap), { ...task.args, ...args(task) }, undefined);
  }
  for (const task of dag.tasks.values()) {
    for (const down of task.downstream) copy.addEdges([task.id], [down]);
  }
  copy.finalise();
  return copy;
}

function wrapBody(body: TaskFunction | Operator<object>, wrap: TaskWrapper): TaskFunction | Operator<object> {
  if (typeof body === 'function') return (ctx: TaskContext) => wrap(ctx, async () => body(ctx));
  // The operator stays the prototype: kind, args, templateFields and its own methods are inherited.
  const wrapped = Object.create(body) as Operator<object> & { execute: Operator<object>['execute'] };
  Object.defineProperty(wrapped, 'execute', {
    value: (ctx: TaskContext, rendered: object) => wrap(ctx, async () => body.execute(ctx, rendered)),
  });
  return wrapped;
}
