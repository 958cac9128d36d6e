import { isXComArg } from '../dag/dag.ts';
import type { Dag, Task } from '../dag/dag.ts';
import { scheduleSpecOf } from '../run/index.ts';
import type { DagSummary, TaskSummary } from './protocol.ts';

/** A DAG as plain data for the main thread: schedule inputs and task signatures. */
export function summarize(dag: Dag, file: string): DagSummary {
  const o = dag.options;
  return {
    id: dag.id,
    file,
    spec: scheduleSpecOf(dag),
    options: { schedule: o.schedule, maxActiveRuns: o.maxActiveRuns, inputs: o.inputs, outputs: o.outputs, description: o.description, verify: o.verify },
    tasks: [...dag.tasks.values()].map(taskSummary),
  };
}

function taskSummary(task: Task): TaskSummary {
  const upstream = [...task.upstream].sort();
  const body = typeof task.body === 'function' ? task.body.toString() : stable({ kind: task.kind, args: task.operator?.args });
  const flow = stable({ inputs: wiring(task.inputs), mapped: task.mapped ? wiring(task.mapped) : null, control: task.control ?? null });
  return { id: task.id, kind: task.kind, upstream, signature: `${body}\n${stable(task.args)}\n${upstream.join(',')}\n${flow}` };
}

/** TaskFlow inputs as plain data: an output of another task as `xcom:<task>:<key>`. */
function wiring(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, isXComArg(v) ? `xcom:${v.task.id}:${v.xcomKey}` : v]));
}

/** JSON with sorted keys and functions as their source, so equal definitions give equal text. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'function') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  }) ?? 'undefined';
}

/** What changed between two versions of a DAG: `+task`, `-task`, `~task`. */
export function dagChanges(before: DagSummary | undefined, after: DagSummary): string[] {
  if (!before) return ['new DAG'];
  const old = new Map(before.tasks.map((t) => [t.id, t]));
  const now = new Map(after.tasks.map((t) => [t.id, t]));
  const out: string[] = [];
  for (const t of after.tasks) {
    const prev = old.get(t.id);
    if (!prev) out.push(`+${t.id}`);
    else if (prev.signature !== t.signature) out.push(`~${t.id}`);
  }
  for (const t of before.tasks) if (!now.has(t.id)) out.push(`-${t.id}`);
  if (JSON.stringify(before.spec) !== JSON.stringify(after.spec)) out.push('~schedule');
  return out;
}
