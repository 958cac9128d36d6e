import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import type { Dag } from '../dag/dag.ts';
import type { Connections, DataInterval, Operator, Variables } from '../dag/types.ts';
import { bindSql } from '../template/sql-template.ts';
import { render, renderParts } from '../template/index.ts';
import type { TemplateScope } from '../template/index.ts';
import type { Dialect } from '../sql/sql-lexer.ts';
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
export function renderOperatorFields(operator: Operator<object>, scope: TemplateScope, where: string, sql?: SqlDisplay): Record<string, unknown> {
  const args = operator.args as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const sqlFields = (operator.sqlFields ?? {}) as Record<string, string>;
  for (const field of operator.templateFields as readonly string[]) {
    const connField = sqlFields[field];
    const value = args[field];
    if (sql && connField !== undefined && isSqlInput(value)) {
      // Bound exactly as execution binds it: a value that could not run is refused here too.
      const fieldWhere = `${where}, field "${field}"`;
      const dialect = sql.dialectOf(String(args[connField]));
      const show = (template: string) =>
        bindSql(template, { dialect, render: (t) => renderParts(t, scope, fieldWhere), where: `${sql.location ? `${sql.location}: ` : ''}${fieldWhere}`, mask: sql.mask }).rendered;
      out[field] = Array.isArray(value) ? value.map((v) => show(sqlText(v, fieldWhere))) : show(sqlText(value, fieldWhere));
    } else out[field] = renderDeep(value, scope, where, field);
  }
  return out;
}

/** SQL as operators take it: text, a `.sql` file URL, or a list of them. */
function isSqlInput(value: unknown): value is string | URL | (string | URL)[] {
  const one = (v: unknown) => typeof v === 'string' || v instanceof URL;
  return one(value) || (Array.isArray(value) && value.every(one));
}

/** The template text of one SQL input: a `.sql` file is read, as the operator reads it when it runs. */
function sqlText(value: string | URL, where: string): string {
  if (typeof value === 'string') return value;
  try {
    return readFileSync(fileURLToPath(value), 'utf8');
  } catch (error) {
    throw new Error(`${where}: cannot read the SQL file ${value.href}: ${(error as Error).message}`, { cause: error });
  }
}

/** How `tasks render` shows SQL fields: the dialect of a connection id, and the task's place. */
export interface SqlDisplay {
  dialectOf(connId: string): Dialect;
  mask(text: string): string;
  location?: string;
}

/** The dialect of a connection id: the session's `mysql`, `postgres`, `redshift`, or a connection's conn type. */
export function dialectOf(connections: Connections, connId: string): Dialect {
  const id = connId.toLowerCase();
  if (id === 'mysql') return 'mysql';
  if (id === 'postgres' || id === 'redshift') return 'postgres';
  if (!connections.has(connId)) throw new Error(`connection "${connId}" is not defined; define it in dagbox.config.ts or DAGBOX_CONN_${connId.toUpperCase()}`);
  return connections.get(connId).connType.toLowerCase() === 'mysql' ? 'mysql' : 'postgres';
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
export function renderTaskFields(
  dag: Dag,
  taskId: string,
  interval: DataInterval,
  variables: Variables,
  opts: { connections?: Connections; masker?: Masker } = {},
): Record<string, unknown> {
  const plan = planDag(dag);
  const task = findTaskPlan(plan, taskId);
  const operator = task.task.operator;
  if (!operator) return {};
  const connections = opts.connections ?? noConnections;
  const masker = opts.masker ?? new Masker();
  const env: RunEnvironment = { variables, connections, masker, clock: realClock };
  const shared = createRunShared(plan, interval, env, 'scheduled', undefined);
  const location = task.task.location;
  const sql: SqlDisplay = {
    dialectOf: (connId) => dialectOf(connections, connId),
    mask: (text) => masker.mask(text),
    location: location ? `${relative(process.cwd(), location.file) || location.file}:${location.line}` : undefined,
  };
  try {
    const fields = renderOperatorFields(operator, shared.scopeFor({ taskId: task.id, kind: operator.kind }), `task "${task.id}" of DAG "${dag.id}"`, sql);
    return maskDeep(fields, masker) as Record<string, unknown>;
  } catch (error) {
    // A message may quote a value (`params.x is the string "..."`): secrets in it are masked too.
    if (error instanceof Error) error.message = masker.mask(error.message);
    throw error;
  }
}

function maskDeep(value: unknown, masker: Masker): unknown {
  if (typeof value === 'string') return masker.mask(value);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, masker));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, masker)]));
  return value;
}

/** Rendering needs no connections; a template cannot reach them. */
const noConnections: Connections = {
  get(connId: string): never {
    throw new Error(`connection "${connId}" is not available while rendering templates`);
  },
  has: () => false,
};
