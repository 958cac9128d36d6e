import pc from 'picocolors';
import { ms } from '../shared/ms.ts';
import { displayWidth, formatTable, padEndDisplay } from '../shared/table.ts';
import { intervalLabel, plural, windowLabel } from './labels.ts';
import type { CheckFailure, CheckResult, DagVerification, DiffRow, ObjectsDiff, StateDiff, TableDiff } from './types.ts';

/** Options of the text formatters. */
export interface FormatOptions {
  /** ANSI colors (default: picocolors' detection, off under NO_COLOR or a pipe). */
  color?: boolean;
  /** Failures shown per check (default 3). */
  maxFailures?: number;
}

type Colors = ReturnType<typeof pc.createColors>;

const MARK = { pass: '✔', fail: '✘', 'not-run': '!', 'not-applicable': '–' } as const;

/** How a status reads in every report: `pass`, `FAIL`, `not run`, `not applicable`. */
export const STATUS_WORD = { pass: 'pass', fail: 'FAIL', 'not-run': 'not run', 'not-applicable': 'not applicable' } as const;

/** How a verdict reads in every report. */
export const VERDICT_WORD = { pass: 'PASS', fail: 'FAIL', incomplete: 'INCOMPLETE' } as const;

/** `3 pass, 1 fail, 1 not run, 2 not applicable`: a count per status, the same in every report. */
export function statusCounts(checks: readonly CheckResult[]): string {
  const n = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  return `${n('pass')} passed, ${n('fail')} failed, ${n('not-run')} not run, ${n('not-applicable')} not applicable`;
}

function colors(options: FormatOptions): Colors {
  return pc.createColors(options.color ?? pc.isColorSupported);
}

/**
 * A DAG's verification as lines: a header, one line per check (mark, title, summary, time), and
 * under each failed check its findings with row-level diffs.
 *
 * ```
 * nps_append  [2021-02-05, 2021-02-08)  3 intervals  FAIL  1.20s
 *   ✔ runs            8 runs succeeded
 *   ✘ idempotency     3 of 3 intervals changed the tables when re-run (2021-02-05, ...)   410ms
 *       re-running 2021-02-05 changed raw_data.nps (rows 3 → 6)
 *       raw_data.nps  after the 2nd run 6 rows → after the 3rd run 9 rows, joined on all columns
 * ```
 */
export function formatVerification(v: DagVerification, options: FormatOptions = {}): string[] {
  const c = colors(options);
  const word = VERDICT_WORD[v.verdict];
  const verdict = v.verdict === 'pass' ? c.green(word) : v.verdict === 'fail' ? c.red(word) : c.yellow(word);
  const lines = [`${c.bold(v.dagId)}  ${windowLabel(v.intervals)}  ${plural(v.intervals.length, 'interval')}  ${verdict}  ${c.dim(ms(v.ms))}`];
  const width = Math.max(...v.checks.map((r) => displayWidth(r.title)));
  for (const r of v.checks) lines.push(...formatCheckResult(r, { ...options, titleWidth: width }).map((l) => `  ${l}`));
  if (v.verdict === 'incomplete') lines.push(c.yellow(`  not green: ${plural(v.checks.filter((r) => r.status === 'not-run').length, 'check')} did not run, so there is no evidence for them`));
  return lines;
}

/**
 * One check's result as lines: `✘ idempotency  <summary>  <time>`, then (when it failed) each
 * finding with its diff. This is what `dagbox dev` prints after each save.
 */
export function formatCheckResult(r: CheckResult, options: FormatOptions & { titleWidth?: number } = {}): string[] {
  const c = colors(options);
  const mark = r.status === 'pass' ? c.green(MARK.pass) : r.status === 'fail' ? c.red(MARK.fail) : r.status === 'not-run' ? c.yellow(MARK['not-run']) : c.dim(MARK['not-applicable']);
  const title = padEndDisplay(r.title, options.titleWidth ?? 0);
  const summary = r.status === 'not-run' ? c.yellow(`not run: ${r.summary}`) : r.status === 'not-applicable' ? c.dim(`not applicable: ${r.summary}`) : r.summary;
  const seed = r.seed !== undefined ? c.dim(` (seed ${r.seed}: --shuffle --seed ${r.seed} replays it)`) : '';
  const lines = [`${mark} ${r.status === 'fail' ? c.red(title) : title}  ${summary}${seed}${r.ms > 0 ? c.dim(`  ${ms(r.ms)}`) : ''}`];
  const max = options.maxFailures ?? 3;
  for (const f of r.failures.slice(0, max)) lines.push(...formatFailure(f, c).map((l) => `    ${l}`));
  if (r.failures.length > max) lines.push(c.dim(`    ... and ${r.failures.length - max} more (see the JSON report)`));
  return lines;
}

function formatFailure(f: CheckFailure, c: Colors): string[] {
  const lines = [c.yellow(f.message)];
  if (f.rows && f.rows.length > 0) {
    const cols = Object.keys(f.rows[0]!);
    lines.push(...formatTable([cols, ...f.rows.map((r) => cols.map((k) => cell(r[k] ?? null)))]).map((l) => `  ${l}`));
  }
  for (const h of f.hints ?? []) lines.push(`  ${c.cyan('hint')}: ${h}`);
  if (f.diff) lines.push(...formatStateDiff(f.diff, { color: c.isColorSupported }).map((l) => `  ${l}`));
  return lines;
}

/**
 * A state diff as lines: per table its counts, key, per-column match, first differing rows side
 * by side and hints; per bucket the objects added, removed and changed.
 */
export function formatStateDiff(d: StateDiff, options: FormatOptions = {}): string[] {
  const c = colors(options);
  const lines: string[] = [];
  for (const t of d.tables) lines.push(...formatTableDiff(t, d, c));
  for (const o of d.objects) lines.push(...formatObjectsDiff(o, d, c));
  return lines;
}

function formatTableDiff(t: TableDiff, d: StateDiff, c: Colors): string[] {
  const lines = [`${c.bold(t.table)}  ${d.beforeLabel}: ${plural(t.rowsBefore, 'row')} → ${d.afterLabel}: ${plural(t.rowsAfter, 'row')}`];
  const schema = [
    ...t.schema.added.map((x) => `+ ${x.name} ${x.type}`),
    ...t.schema.removed.map((x) => `- ${x.name} ${x.type}`),
    ...t.schema.retyped.map((x) => `~ ${x.column} ${x.before} → ${x.after}`),
  ];
  if (schema.length > 0 && t.presence === 'both') lines.push(`  columns: ${schema.join(', ')}`);
  if (t.keyKind !== null) {
    const key = t.key.length > 0 ? ` (${t.key.join(', ')})` : '';
    lines.push(`  joined on ${t.keyKind}${key}: ${t.common} common, ${t.onlyBefore} only before, ${t.onlyAfter} only after, ${t.changed} changed`);
    const partial = t.columns.filter((m) => m.matched < t.common);
    if (t.common > 0 && t.columns.length > 0) {
      lines.push(
        partial.length === 0
          ? c.dim(`  column match: every compared column 100%`)
          : `  column match: ${partial.map((m) => `${m.column} ${formatPercent(m.percent)}`).join(', ')}${partial.length < t.columns.length ? c.dim(`; others 100%`) : ''}`,
      );
    }
    if (t.ignored.length > 0) lines.push(c.dim(`  ignored columns: ${t.ignored.join(', ')}`));
    if (t.samples.length > 0) {
      const total = t.onlyBefore + t.onlyAfter + t.changed;
      lines.push(`  first ${t.samples.length} of ${total} differing row(s):`);
      lines.push(...sampleTable(t, c).map((l) => `    ${l}`));
    }
  }
  for (const h of t.hints) lines.push(`  ${c.cyan('hint')}: ${h}`);
  return lines;
}

/** Differing rows side by side: one line per side, changed cells marked with `*`. */
function sampleTable(t: TableDiff, c: Colors): string[] {
  const cols = t.display;
  const rows: string[][] = [['', 'side', ...cols]];
  const marks: boolean[][] = [[]];
  const add = (label: string, side: string, row: DiffRow, values: Readonly<Record<string, string | null>> | null) => {
    rows.push([label, side, ...cols.map((k) => (values ? cell(values[k] ?? null) : ''))]);
    marks.push(['', '', ...cols].map((k, i) => i >= 2 && row.changedColumns.includes(k)));
  };
  for (const row of t.samples) {
    if (row.kind === 'changed') {
      add('changed', 'before', row, row.before);
      add('', 'after', row, row.after);
    } else if (row.kind === 'only-before') add('only before', 'before', row, row.before);
    else add('only after', 'after', row, row.after);
  }
  const shown = rows.map((r, ri) => r.map((v, i) => (marks[ri]?.[i] ? `${v}*` : v)));
  return formatTable(shown, { style: (text, ri, i) => (ri === 0 ? c.dim(text) : marks[ri]?.[i] ? c.yellow(text) : text) });
}

function formatObjectsDiff(o: ObjectsDiff, d: StateDiff, c: Colors): string[] {
  const lines = [`${c.bold(`s3://${o.bucket}/`)}  ${d.beforeLabel} → ${d.afterLabel}: ${o.onlyBefore.length} only before, ${o.onlyAfter.length} only after, ${o.changed.length} changed`];
  for (const x of o.onlyBefore.slice(0, 5)) lines.push(`  - ${x.key} (${x.size} bytes)`);
  for (const x of o.onlyAfter.slice(0, 5)) lines.push(`  + ${x.key} (${x.size} bytes)`);
  for (const x of o.changed.slice(0, 5)) {
    lines.push(`  ~ ${x.key} (${x.before.size} → ${x.after.size} bytes, etag ${shortEtag(x.before.etag)} → ${shortEtag(x.after.etag)})`);
    const l = o.lines.find((y) => y.key === x.key);
    if (l) {
      for (const line of l.onlyBefore) lines.push(c.red(`      - ${line}`));
      for (const line of l.onlyAfter) lines.push(c.green(`      + ${line}`));
    }
  }
  return lines;
}

function shortEtag(etag: string): string {
  return etag.replaceAll('"', '').slice(0, 8);
}

function formatPercent(p: number): string {
  if (p === 100 || p === 0) return `${p}%`;
  return `${p.toFixed(p > 99 || p < 1 ? 2 : 1)}%`;
}

/** A value for a table cell: NULL spelled out, long values cut. */
export function cell(v: string | null): string {
  if (v === null) return 'NULL';
  const one = v.replace(/\s+/g, ' ');
  return one.length > 40 ? `${one.slice(0, 37)}...` : one;
}

/** The interval of a failure, for report headings. */
export function failureWhere(f: CheckFailure): string {
  return [f.interval ? intervalLabel(f.interval) : null, f.taskId ? `task ${f.taskId}` : null].filter(Boolean).join(', ');
}
