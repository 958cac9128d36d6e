import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DataInterval } from '../../src/dag/types.ts';
import { backfillIntervals, compileSchedule, parseDate, type ScheduleSpec } from '../../src/schedule/index.ts';
import { CASES, type OracleCase, type OracleDag } from './oracle/cases.ts';

/**
 * dagbox's schedule core against a real Airflow 2.8's own timetable and backfill code, case by
 * case (test/schedule/oracle/cases.ts). Set DAGBOX_AIRFLOW_ORACLE to the Airflow oracle's folder
 * (the one holding env.sh, e.g. /work/shared/airflow-oracle) or to a Python that imports airflow.
 */
const ORACLE = process.env.DAGBOX_AIRFLOW_ORACLE;
const SCRIPT = join(import.meta.dirname, 'oracle', 'airflow_oracle.py');

type Pairs = [string, string][];
interface AirflowResult {
  id: string;
  error?: string;
  intervals?: Pairs;
  deadlock?: boolean;
  prev?: string | null;
}

/** dagbox's answer: intervals, a refusal (the error's message), or a previous logical date. */
type DagboxResult = { intervals: Pairs } | { refused: string } | { prev: string | null };

if (!ORACLE) {
  console.info('schedule oracle skipped: DAGBOX_AIRFLOW_ORACLE is not set (point it at the Airflow oracle folder with env.sh, or at its Python)');
  describe('schedule oracle (Airflow 2.8)', () => {
    it.skip('skipped: set DAGBOX_AIRFLOW_ORACLE to the Airflow oracle folder (with env.sh) or its Python to compare dagbox with Airflow', () => {});
  });
} else {
  describe('schedule oracle (Airflow 2.8)', () => {
    it(`dagbox matches Airflow on all ${CASES.length} cases, interval by interval`, () => {
      expect(CASES.length).toBeGreaterThanOrEqual(60);
      const airflow = new Map(runAirflow(ORACLE, CASES).map((r) => [r.id, r]));
      const mismatches: string[] = [];
      let refusals = 0;
      for (const c of CASES) {
        const theirs = airflow.get(c.id);
        if (!theirs || theirs.error) {
          mismatches.push(`${c.id}: Airflow gave no answer: ${theirs?.error ?? 'missing'}`);
          continue;
        }
        const ours = dagbox(c);
        const verdict = compare(c, theirs, ours);
        if (verdict === 'refusal') refusals++;
        else if (verdict !== 'match') mismatches.push(`${c.id}: ${verdict}`);
      }
      console.log(`schedule oracle: ${CASES.length} cases, ${CASES.length - mismatches.length} match (${refusals} of them documented refusals where Airflow deadlocks)`);
      expect(mismatches).toEqual([]);
    }, 300_000);
  });
}

function compare(c: OracleCase, theirs: AirflowResult, ours: DagboxResult): 'match' | 'refusal' | string {
  if (c.kind === 'prev') {
    const mine = 'prev' in ours ? ours.prev : undefined;
    return mine === theirs.prev ? 'match' : `prev_ds: Airflow ${String(theirs.prev)}, dagbox ${String(mine)}`;
  }
  if (theirs.deadlock) {
    // Airflow creates runs after endDate whose tasks never run; dagbox refuses such a range.
    return 'refused' in ours && /after the DAG's endDate/.test(ours.refused) ? 'refusal' : `Airflow deadlocks here, dagbox should refuse but gave ${JSON.stringify(ours)}`;
  }
  if ('refused' in ours) return `dagbox refused (${ours.refused}), Airflow ran ${JSON.stringify(theirs.intervals)}`;
  const mine = 'intervals' in ours ? ours.intervals : [];
  return JSON.stringify(mine) === JSON.stringify(theirs.intervals) ? 'match' : `\n  Airflow ${JSON.stringify(theirs.intervals)}\n  dagbox  ${JSON.stringify(mine)}`;
}

function dagbox(c: OracleCase): DagboxResult {
  const spec = specOf(c.dag);
  const s = compileSchedule(spec);
  const utc = (text: string): Date => parseDate(text, 'UTC');
  try {
    switch (c.kind) {
      case 'due':
        return { intervals: pairs(s.dueIntervals(new Date(c.now))) };
      case 'backfill':
        // Airflow's CLI reads -s/-e in its default time zone, UTC; so does dagbox's.
        return { intervals: pairs(backfillIntervals(spec, utc(c.start), utc(c.end))) };
      case 'manual':
        return { intervals: pairs([s.manualInterval(utc(c.date))]) };
      case 'prev': {
        const at = utc(c.date);
        const prev = s.previousInterval({ start: at, end: s.intervalAt(at).end });
        return { prev: prev ? `${prev.start.toISOString().slice(0, 19)}Z` : null };
      }
    }
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

function specOf(d: OracleDag): ScheduleSpec {
  const timezone = d.timezone ?? 'UTC';
  return {
    schedule: d.schedule,
    startDate: parseDate(d.startDate, timezone),
    endDate: d.endDate ? parseDate(d.endDate, timezone) : null,
    timezone,
    catchup: d.catchup ?? true,
  };
}

function pairs(intervals: DataInterval[]): Pairs {
  const iso = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
  return intervals.map((i) => [iso(i.start), iso(i.end)]);
}

/** Runs airflow_oracle.py once for every case, with the oracle's environment when given its folder. */
function runAirflow(oracle: string, cases: OracleCase[]): AirflowResult[] {
  const folder = existsSync(oracle) && statSync(oracle).isDirectory();
  if (folder && !existsSync(join(oracle, 'env.sh'))) throw new Error(`DAGBOX_AIRFLOW_ORACLE=${oracle} is a folder without env.sh; point it at the Airflow oracle folder or at its Python`);
  const [command, args] = folder
    ? ['bash', ['-c', 'source "$1/env.sh" && exec "$PY" "$2"', 'oracle', oracle, SCRIPT]]
    : [oracle, [SCRIPT]];
  const run = spawnSync(command, args, { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
  if (run.status !== 0) throw new Error(`the Airflow oracle (${command} ${args.join(' ')}) exited ${String(run.status)}: ${run.stderr.slice(-2000)}`);
  return (JSON.parse(run.stdout) as { results: AirflowResult[] }).results;
}
