import type { DataInterval } from '../dag/types.ts';
import { parseDbTime } from './hints.ts';
import { intervalLabel, shortTime } from './labels.ts';
import type { CheckFailure } from './types.ts';

/** What the cause hints look at besides a failure's rows: the window, the DAG's timezone, the SQL its tasks sent, the clock. */
export interface CauseEvidence {
  readonly intervals: readonly DataInterval[];
  /** The DAG's IANA timezone (`UTC` when it sets none). */
  readonly timezone: string;
  /** SQL each task sent in a re-run, by task id. */
  readonly statements: ReadonlyMap<string, readonly string[]>;
  /** The machine's clock, epoch ms. */
  readonly now: number;
}

/** Rows a failure shows, by table: the diff's samples (both sides) and the rows a rule found. */
interface EvidenceRows {
  readonly table: string;
  readonly rows: readonly Readonly<Record<string, string | null>>[];
}

const DAY = 86_400_000;
/** How close to the machine's clock a timestamp must be to count as "now" (time zones included). */
const NEAR_NOW_MS = 36 * 3600_000;

/**
 * Hints that name the cause of a failure, each with the evidence that triggered it: rows stamped
 * exactly at an interval's end (a closed range), a task that reads a relation it also writes (a
 * watermark from the target's MAX, an anti-join on the target), a non-UTC DAG treating `ds` as its
 * local day, and values equal to the wall-clock date or time. Hints already on the diff are not repeated.
 */
export function causeHints(f: CheckFailure, e: CauseEvidence): string[] {
  const evidence = evidenceRows(f);
  const existing = new Set([...(f.hints ?? []), ...(f.diff?.tables.flatMap((t) => t.hints) ?? [])]);
  const hints = [closedRangeHint(f, evidence, e), ...selfReadHints(f, e), nonUtcHint(f, evidence, e), ...wallClockDateHints(evidence, e, existing)];
  return hints.filter((h): h is string => h !== null && !existing.has(h));
}

function evidenceRows(f: CheckFailure): EvidenceRows[] {
  const out: EvidenceRows[] = [];
  for (const t of f.diff?.tables ?? []) {
    out.push({ table: t.table, rows: t.samples.flatMap((s) => [s.before, s.after].filter((r): r is Readonly<Record<string, string | null>> => r !== null)) });
  }
  if (f.rows && f.rows.length > 0) out.push({ table: /\bto ([\w.:]+)/.exec(f.message)?.[1] ?? /\b([\w]+\.[\w]+)\b/.exec(f.message)?.[1] ?? 'the table', rows: f.rows });
  return out;
}

/** A value with a time of day (not a bare date), as epoch ms; null otherwise. */
function timeValue(v: string | null): number | null {
  if (v === null || !/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(v.trim())) return null;
  return parseDbTime(v);
}

function closedRangeHint(f: CheckFailure, evidence: readonly EvidenceRows[], e: CauseEvidence): string | null {
  const ends = new Map<number, DataInterval>();
  for (const i of e.intervals) ends.set(i.end.getTime(), i);
  for (const { table, rows } of evidence) {
    for (const column of columnsOf(rows)) {
      const hits = rows.filter((r) => {
        const t = timeValue(r[column] ?? null);
        return t !== null && ends.has(t);
      });
      if (hits.length === 0) continue;
      const value = hits[0]![column]!;
      const interval = ends.get(timeValue(value)!)!;
      const failing = f.interval ? ` (the failure is in ${intervalLabel(f.interval)})` : '';
      return (
        `closed range: ${hits.length} row(s) of ${table} shown here have ${column} = ${value}, exactly the end of ${intervalLabel(interval)}'s ` +
        `interval [${shortTime(interval.start)}, ${shortTime(interval.end)})${failing}. A range closed at the end (BETWEEN ds AND next_ds, ` +
        `<= data_interval_end) takes a row stamped at the boundary into two intervals. Select ${column} >= data_interval_start AND ${column} < data_interval_end`
      );
    }
  }
  return null;
}

function columnsOf(rows: readonly Readonly<Record<string, string | null>>[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r)))];
}

/** Tables the failure is about: its diff's tables. */
function failureTables(f: CheckFailure): string[] {
  return (f.diff?.tables ?? []).map((t) => t.table);
}

/** A regex source matching a table name as SQL may write it: `raw_data.t`, `"raw_data"."t"`, or `t` alone. */
function tablePattern(name: string): string {
  const bare = name.replace(/^mysql:/, '');
  const dot = bare.indexOf('.');
  const schema = dot > 0 ? bare.slice(0, dot) : '';
  const table = dot > 0 ? bare.slice(dot + 1) : bare;
  const q = (s: string) => `[\`"]?${s.replace(/[$]/g, '\\$')}[\`"]?`;
  return `(?:${schema ? `${q(schema)}\\s*\\.\\s*` : ''})?${q(table)}(?![\\w.])`;
}

const WRITE_VERBS = String.raw`(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO|COPY|TRUNCATE(?:\s+TABLE)?|REPLACE\s+INTO|CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?)`;

function selfReadHints(f: CheckFailure, e: CauseEvidence): string[] {
  const out: string[] = [];
  for (const table of failureTables(f)) {
    const name = tablePattern(table);
    const writes = new RegExp(`\\b${WRITE_VERBS}\\s+${name}`, 'i');
    const reads = new RegExp(`\\b(?:FROM|JOIN)\\s+${name}`, 'gi');
    for (const [taskId, statements] of e.statements) {
      if (!statements.some((s) => writes.test(s))) continue;
      for (const [index, sql] of statements.entries()) {
        const readHere = [...sql.matchAll(reads)].some((m) => !/DELETE\s+$/i.test(sql.slice(Math.max(0, m.index! - 8), m.index!)));
        if (!readHere) continue;
        const kind = /\b(MAX|MIN)\s*\(/i.test(sql)
          ? `a watermark taken from the target's own ${/\bMIN\s*\(/i.test(sql) ? 'MIN' : 'MAX'}(...)`
          : /\bNOT\s+IN\s*\(\s*SELECT|\bNOT\s+EXISTS\b|\bLEFT\s+(?:OUTER\s+)?JOIN\b[\s\S]*\bIS\s+NULL\b|\bEXCEPT\b/i.test(sql)
            ? 'an anti-join on the target (NOT IN / NOT EXISTS / LEFT JOIN ... IS NULL against what is already there)'
            : null;
        if (!kind) continue;
        out.push(
          `task ${taskId} reads ${table}, which it also writes: statement ${index + 1} (${oneLine(sql)}) is ${kind}. What it loads then depends on ` +
            'what earlier runs left in the table, so re-runs, backfills and other orders load other rows. Select the rows by the run\'s interval ' +
            '({{ data_interval_start }} / {{ data_interval_end }}, ctx.dataIntervalStart / ctx.dataIntervalEnd) and replace that range instead',
        );
        break;
      }
    }
  }
  return out;
}

function oneLine(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  return s.length > 140 ? `${s.slice(0, 137)}...` : s;
}

function nonUtcHint(f: CheckFailure, evidence: readonly EvidenceRows[], e: CauseEvidence): string | null {
  if (e.timezone === 'UTC' || e.timezone === 'Etc/UTC' || !f.interval) return null;
  const i = f.interval;
  const ds = i.start.toISOString().slice(0, 10);
  const dayStart = Date.parse(`${ds}T00:00:00Z`);
  if (dayStart === i.start.getTime()) return null;
  for (const { table, rows } of evidence) {
    for (const column of columnsOf(rows)) {
      const times = rows.map((r) => timeValue(r[column] ?? null)).filter((t): t is number => t !== null);
      if (times.length === 0) continue;
      const onUtcDay = times.filter((t) => t >= dayStart && t < dayStart + DAY && (t < i.start.getTime() || t >= i.end.getTime()));
      if (onUtcDay.length === 0) continue;
      return (
        `timezone: the DAG runs in ${e.timezone}, so the interval ${intervalLabel(i)} is [${i.start.toISOString()}, ${i.end.toISOString()}), ` +
        `but ${onUtcDay.length} row(s) of ${table} have ${column} on the UTC day ds = ${ds}, outside it. ds (and ds_nodash) is the logical date's ` +
        'UTC date, as in Airflow, not the local day. Select by data_interval_start / data_interval_end (ctx.dataIntervalStart / ctx.dataIntervalEnd), ' +
        'which are the local day\'s bounds'
      );
    }
  }
  return null;
}

function wallClockDateHints(evidence: readonly EvidenceRows[], e: CauseEvidence, existing: ReadonlySet<string>): string[] {
  const today = new Set([new Date(e.now).toISOString().slice(0, 10), localDate(e.now)]);
  const out: string[] = [];
  for (const { table, rows } of evidence) {
    for (const column of columnsOf(rows)) {
      if ([...existing].some((h) => h.startsWith(`${table}.${column} differs only in values near the wall-clock time`))) continue;
      const values = rows.map((r) => r[column] ?? null).filter((v): v is string => v !== null);
      const dates = values.filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) && today.has(v.trim()));
      const times = values.filter((v) => {
        const t = timeValue(v);
        return t !== null && Math.abs(t - e.now) <= NEAR_NOW_MS;
      });
      const hit = dates[0] ?? times[0];
      if (!hit) continue;
      const what = dates.length > 0 ? "today's date on this machine" : 'a time near the wall-clock time of this machine';
      out.push(
        `wall clock: ${table}.${column} = ${hit} is ${what}, not a date of the run's interval: it is filled from CURRENT_DATE / now() / ` +
          'GETDATE() / new Date(), so a re-run or a backfill on another day writes another value (and a DELETE by ds never finds it). ' +
          'Take it from the run: {{ ds }} / ctx.ds, or {{ data_interval_end }} / ctx.dataIntervalEnd',
      );
    }
  }
  return out;
}

function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}
