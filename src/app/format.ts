import pc from 'picocolors';
import type { Dag } from '../dag/dag.ts';
import type { DataInterval, TaskState } from '../dag/types.ts';
import type { DagRunResult } from '../run/index.ts';
import { ms } from '../shared/ms.ts';

const STATE_COLOR: Record<string, (s: string) => string> = {
  success: pc.green,
  failed: pc.red,
  upstream_failed: pc.yellow,
  up_for_retry: pc.yellow,
  up_for_reschedule: pc.cyan,
  skipped: pc.magenta,
  running: pc.cyan,
  interrupted: pc.red,
};

const STATE_MARK: Partial<Record<TaskState, string>> = {
  success: '✔',
  failed: '✘',
  upstream_failed: '⇡✘',
  skipped: '⤼',
  up_for_retry: '↻',
  up_for_reschedule: '⏲',
};

/** A state word in its color. */
export function state(s: string): string {
  return (STATE_COLOR[s] ?? pc.dim)(s);
}

/** `2021-02-05T00:00:00Z` without a zero time part: `2021-02-05`. */
export function shortDate(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z');
}

export function formatInterval(i: DataInterval): string {
  return `[${shortDate(i.start)}, ${shortDate(i.end)})`;
}

/** `task`, or `task[2]` for an instance of a mapped task. */
export function instanceId(t: { taskId: string; mapIndex?: number }): string {
  return t.mapIndex === undefined ? t.taskId : `${t.taskId}[${t.mapIndex}]`;
}

/**
 * One colored line per DAG run: the interval, the run state, and each task's mark and duration;
 * a mapped task shows its instances' marks together (`size[3] ✔✔✘`), and the line ends with how
 * many task instances were skipped.
 * `example_linear 2021-02-05 success  extract ✔ 2ms · transform ✔ 1ms · load ⤼  (4ms, 1 skipped)`
 */
export function runLine(run: DagRunResult): string {
  const parts: string[] = [];
  for (let i = 0; i < run.tasks.length; ) {
    const t = run.tasks[i]!;
    if (t.mapIndex !== undefined && t.mapIndex >= 0) {
      let j = i;
      while (j < run.tasks.length && run.tasks[j]!.taskId === t.taskId) j++;
      const group = run.tasks.slice(i, j);
      const marks = group.map((x) => (STATE_COLOR[x.state] ?? pc.dim)(STATE_MARK[x.state] ?? x.state)).join('');
      const time = group.reduce((sum, x) => sum + x.durationMs, 0);
      parts.push(`${t.taskId}[${group.length}] ${marks}${pc.dim(` ${ms(time)}`)}`);
      i = j;
      continue;
    }
    const mark = STATE_MARK[t.state] ?? t.state;
    const tries = t.tryNumber > 1 ? pc.dim(` try ${t.tryNumber}`) : '';
    const rows = t.rows !== undefined ? pc.dim(` ${t.rows} rows`) : '';
    const mapped = t.mapIndex === -1 ? pc.dim(' (mapped, not expanded)') : '';
    parts.push(`${t.taskId} ${(STATE_COLOR[t.state] ?? pc.dim)(mark)}${mapped}${t.startedAt ? pc.dim(` ${ms(t.durationMs)}`) : ''}${rows}${tries}`);
    i++;
  }
  const skipped = run.tasks.filter((t) => t.state === 'skipped').length;
  const tail = `${ms(run.durationMs)}${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  return `${pc.bold(run.dagId)} ${shortDate(run.logicalDate ?? run.interval.start)} ${state(run.state)}  ${parts.join(pc.dim(' · '))}  ${pc.dim(`(${tail})`)}`;
}

/** The failed tasks of a run with their errors and last log lines, for the reader to act on. */
export function failureDetails(run: DagRunResult, options: { verbose?: boolean } = {}): string[] {
  const lines: string[] = [];
  if (run.error) lines.push(`  ${pc.red('run error')}: ${run.error}`);
  for (const t of run.tasks) {
    if (t.state !== 'failed') continue;
    lines.push(`  ${pc.red(instanceId(t))} failed after ${t.tryNumber} ${t.tryNumber === 1 ? 'try' : 'tries'}: ${t.error ?? 'no error message'}`);
    for (const l of t.log.slice(-5)) lines.push(pc.dim(`    | ${options.verbose ? l : withoutStack(l)}`));
  }
  return lines;
}

/** A log line without the JavaScript stack frames an error carried (`--verbose` keeps them). */
export function withoutStack(line: string): string {
  return line
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .join('\n');
}

/** Progress of a long job: `[12/30] 40% · 1.2s elapsed · ETA 1.8s`. */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
  const eta = done === 0 ? '?' : ms((elapsedMs / done) * (total - done));
  return `[${done}/${total}] ${pct}% · ${ms(elapsedMs)} elapsed · ETA ${eta}`;
}

/** Tasks grouped by depth (longest path from a root), in declaration order within a level. */
export function levels(dag: Dag): string[][] {
  const depth = new Map<string, number>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const up = [...dag.tasks.get(id)!.upstream];
    const d = up.length === 0 ? 0 : Math.max(...up.map(visit)) + 1;
    depth.set(id, d);
    return d;
  };
  const out: string[][] = [];
  for (const id of dag.tasks.keys()) (out[visit(id)] ??= []).push(id);
  return out;
}

/**
 * How a task is shown in `dags show` and `tasks list`: `size[]` for a mapped task, and the
 * control-flow kind for a branch, short-circuit or latest-only task (`pick <branch>`).
 */
export function taskLabel(dag: Dag, id: string): string {
  const t = dag.tasks.get(id)!;
  const mapped = t.mapped ? '[]' : '';
  const control = t.control ? pc.magenta(` <${t.control.type}>`) : '';
  return `${id}${mapped}${control}`;
}

/** A text picture of the DAG: one row per level, then every edge as `a >> b`. Mapped tasks are `task[]`. */
export function dagGraph(dag: Dag): string[] {
  const lines: string[] = [];
  levels(dag).forEach((ids, i) => lines.push(`${pc.dim(`${i}`.padStart(2))}  ${ids.map((id) => taskLabel(dag, id)).join('   ')}`));
  lines.push('');
  for (const t of dag.tasks.values()) {
    if (t.downstream.size > 0) lines.push(`    ${t.id} >> ${[...t.downstream].join(', ')}`);
  }
  return lines;
}
