import type { Dag } from './dag.ts';
import type { SourceLocation } from './types.ts';
import { parseDate, scheduleError } from '../schedule/index.ts';
import { sqlTemplateProblems } from '../template/sql-template.ts';
import { checkTemplate } from '../template/index.ts';
import { didYouMean } from '../shared/suggest.ts';
import { taskArgsProblem } from './task-args.ts';
import type { Dialect } from '../sql/sql-lexer.ts';
import { classifySchedule } from '../schedule/presets.ts';
import { paramDeclarationProblems } from './params.ts';

/** A problem found in a DAG: a sentence and, where known, the file and line it points at. */
export interface DagProblem {
  message: string;
  location: SourceLocation | undefined;
}

const DAG_ID = /^[A-Za-z0-9_.-]+$/;

/**
 * Every problem of a DAG, in the order a user would fix them: build errors (duplicate ids),
 * settings (id, startDate, schedule, timezone, limits), dependencies on unknown tasks, cycles,
 * and unknown template variables in operator fields. An empty list means the DAG can run.
 */
export function validateDag(dag: Dag): DagProblem[] {
  const problems: DagProblem[] = [...dag.buildErrors];
  const at = dag.location;
  const o = dag.options;
  const name = `DAG "${dag.id}"`;

  if (typeof o.id !== 'string' || !DAG_ID.test(o.id)) {
    problems.push({ message: `${name}: the id may hold only letters, digits, "_", "-" and "." (found ${JSON.stringify(o.id)})`, location: at });
  }
  const timezone = o.timezone ?? 'UTC';
  if (o.startDate === undefined || o.startDate === null || o.startDate === '') {
    problems.push({ message: `${name} has no startDate: add one, e.g. startDate: '2021-02-05'`, location: at });
  } else {
    problems.push(...dateProblem(name, 'startDate', o.startDate, timezone, at));
  }
  if (o.endDate !== undefined) problems.push(...dateProblem(name, 'endDate', o.endDate, timezone, at));
  const scheduleProblem = scheduleError(o.schedule ?? null, timezone);
  if (scheduleProblem) problems.push({ message: `${name}: ${scheduleProblem}`, location: at });
  for (const key of ['maxActiveRuns', 'maxActiveTasks'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      problems.push({ message: `${name}: ${key} must be a positive integer, found ${JSON.stringify(v)}`, location: at });
    }
  }

  for (const edge of dag.finalise()) {
    for (const ref of [edge.from, edge.to]) {
      if (typeof ref === 'string') {
        if (dag.node(ref)) continue;
        const other = ref === edge.from ? edge.to : edge.from;
        const otherId = typeof other === 'string' ? other : other.id;
        problems.push({
          message: `${name}: task "${otherId}" depends on "${ref}", which is not defined${didYouMean(ref, dag.nodeIds())}`,
          location: edge.where(),
        });
      } else if (ref.dag !== dag) {
        problems.push({
          message: `${name}: a dependency points at "${ref.id}" of DAG "${ref.dag.id}"; tasks can only depend on tasks of the same DAG`,
          location: edge.where(),
        });
      }
    }
  }

  const cycle = findCycle(dag);
  if (cycle) {
    const first = dag.tasks.get(cycle[0]!);
    problems.push({ message: `${name} has a cycle: ${cycle.join(' -> ')}`, location: first?.location ?? at });
  }

  const scheduled = !scheduleProblem && classifySchedule(o.schedule ?? null).kind !== 'manual';
  for (const message of paramDeclarationProblems(o.params, scheduled)) problems.push({ message: `${name}: ${message}`, location: at });
  for (const task of dag.tasks.values()) {
    const own = task.args.params;
    if (own === undefined) continue;
    if (own === null || typeof own !== 'object' || Array.isArray(own)) {
      problems.push({ message: `${name}: task "${task.id}" has params ${JSON.stringify(own)}; expected an object of names to values or param(...)`, location: task.location });
      continue;
    }
    for (const message of paramDeclarationProblems(own, scheduled)) problems.push({ message: `${name}: task "${task.id}": ${message}`, location: task.location });
  }

  for (const task of dag.tasks.values()) {
    const problem = taskArgsProblem({ ...o.defaultArgs, ...task.args });
    if (problem) problems.push({ message: `${name}: task "${task.id}" ${problem}`, location: task.location });
  }

  for (const task of dag.tasks.values()) {
    const op = task.operator;
    if (!op) continue;
    const paramNames = Object.keys({ ...o.params, ...task.args.params });
    for (const field of op.templateFields ?? []) {
      for (const text of strings((op.args as Record<string, unknown>)[field])) {
        for (const message of checkTemplate(text, `task "${task.id}" field "${field}"`, { paramNames })) {
          problems.push({ message: `${name}: ${message}`, location: task.location });
        }
        const dialect = sqlDialectOf(op, field);
        for (const message of dialect ? sqlTemplateProblems(text, dialect, `task "${task.id}" field "${field}"`) : []) {
          problems.push({ message: `${name}: ${message}`, location: task.location });
        }
      }
    }
  }
  return problems;
}

/** The dialect of an operator's SQL field when its connection is one of the session's, else null (known only at run time). */
function sqlDialectOf(op: { args: object; sqlFields?: Readonly<Record<string, string | undefined>> }, field: string): Dialect | null {
  const connField = op.sqlFields?.[field];
  const connId = connField === undefined ? undefined : (op.args as Record<string, unknown>)[connField];
  if (typeof connId !== 'string') return null;
  return ({ mysql: 'mysql', postgres: 'postgres', redshift: 'postgres' } as const)[connId.toLowerCase() as 'mysql'] ?? null;
}

function dateProblem(name: string, field: string, value: string | Date, timezone: string, location: SourceLocation | undefined): DagProblem[] {
  try {
    parseDate(value, timezone);
    return [];
  } catch (error) {
    return [{ message: `${name}: ${field} is invalid: ${(error as Error).message}`, location }];
  }
}

/** Every string inside a template field: the value itself, or strings nested in arrays and plain objects. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).flatMap(strings);
  }
  return [];
}

/**
 * Kahn's algorithm: repeatedly take tasks with in-degree 0. If tasks remain when the queue
 * empties, they sit on or behind a cycle; walk downstream edges among them to name one cycle.
 * Returns the cycle as ids with the first repeated at the end (`a -> b -> a`), or null.
 */
export function findCycle(dag: Dag): string[] | null {
  const indegree = new Map<string, number>();
  for (const t of dag.tasks.values()) indegree.set(t.id, t.upstream.size);
  const queue = [...indegree].filter(([, d]) => d === 0).map(([id]) => id);
  let done = 0;
  while (queue.length > 0) {
    const id = queue.pop()!;
    done++;
    for (const next of dag.tasks.get(id)!.downstream) {
      const d = indegree.get(next)! - 1;
      indegree.set(next, d);
      if (d === 0) queue.push(next);
    }
  }
  if (done === dag.tasks.size) return null;
  const left = new Set([...indegree].filter(([, d]) => d > 0).map(([id]) => id));
  // Every remaining task has a remaining upstream, so walking upstream must revisit a task.
  const path: string[] = [];
  const seenAt = new Map<string, number>();
  let current = [...left][0]!;
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    current = [...dag.tasks.get(current)!.upstream].find((u) => left.has(u))!;
  }
  const cycle = path.slice(seenAt.get(current)!).reverse();
  return [...cycle, cycle[0]!];
}
