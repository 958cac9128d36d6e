import type { Dag } from '../dag/dag.ts';
import type { Connections, DataInterval, Operator, Variables } from '../dag/types.ts';
import { render } from '../template/index.ts';
import type { TemplateScope } from '../template/index.ts';
import { realClock } from './clock.ts';
import { Masker } from './masker.ts';
import { findTaskPlan, planDag } from './plan.ts';
import { createRunShared } from './run-shared.ts';
import type { RunEnvironment } from './types.ts';

/**
 * An operator's templated fields, rendered: strings are rendered, arrays and plain objects are
 * rendered deep inside; other values (numbers, Dates, class instances) are kept as they are.
 * `where` names the task (`task "load" of DAG "nps"`) for template errors, which also name the field.
 */
export function renderOperatorFields(operator: Operator<object>, scope: TemplateScope, where: string): Record<string, unknown> {
  const args = operator.args as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of operator.templateFields as readonly string[]) {
    out[field] = renderDeep(args[field], scope, where, field);
  }
  return out;
}

/** The operator's arguments with its templated fields rendered: what `execute` receives. */
export function renderOperatorArgs(operator: Operator<object>, scope: TemplateScope, where: string): object {
  if (operator.templateFields.length === 0) return operator.args;
  return { ...operator.args, ...renderOperatorFields(operator, scope, where) };
}

function renderDeep(value: unknown, scope: TemplateScope, where: string, path: string): unknown {
  if (typeof value === 'string') return render(value, scope, `${where}, field "${path}"`);
  if (Array.isArray(value)) return value.map((item, i) => renderDeep(item, scope, where, `${path}[${i}]`));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderDeep(item, scope, where, `${path}.${key}`);
    return out;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Airflow's `tasks render`: an operator task's templated fields rendered for an interval
 * (strings, deep inside arrays and plain objects). A function task renders nothing: `{}`.
 * Template errors throw, naming the task and field.
 */
export function renderTaskFields(dag: Dag, taskId: string, interval: DataInterval, variables: Variables): Record<string, unknown> {
  const plan = planDag(dag);
  const task = findTaskPlan(plan, taskId);
  const operator = task.task.operator;
  if (!operator) return {};
  const env: RunEnvironment = { variables, connections: noConnections, masker: new Masker(), clock: realClock };
  const shared = createRunShared(plan, interval, env, 'manual', undefined);
  return renderOperatorFields(operator, shared.scope(task.id), `task "${task.id}" of DAG "${dag.id}"`);
}

/** Rendering needs no connections; a template cannot reach them. */
const noConnections: Connections = {
  get(connId: string): never {
    throw new Error(`connection "${connId}" is not available while rendering templates`);
  },
  has: () => false,
};
