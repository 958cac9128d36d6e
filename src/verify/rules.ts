import type { DataInterval } from '../dag/types.ts';
import type { VerifyContext } from './context.ts';
import type { ForwardHooks } from './checks/idempotency.ts';
import type { KeptState } from './keeper.ts';
import { intervalLabel } from './labels.ts';
import { duplicateKeysMysql, rowsOutsideMysql } from './mysql/rules.ts';
import { duplicateKeysPostgres, rowsOutsidePostgres } from './postgres/rules.ts';
import type { DagRunner } from './runner.ts';
import type { CheckFailure, StateFingerprint, TableFingerprint } from './types.ts';
import { appendingTasks, unenforcedKeyHint } from './unenforced-key-hint.ts';

/** Rows that break a rule: how many, and the first few as text. */
export interface RuleViolations {
  readonly count: number;
  readonly rows: Record<string, string | null>[];
}

/** An interval's bounds in the forms databases compare with. */
export interface TimeBounds {
  /** ISO 8601 with Z, for timestamptz. */
  readonly fromIso: string;
  readonly toIso: string;
  /** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, for timestamps without a zone (read as UTC, as Airflow's context dates are). */
  readonly fromUtc: string;
  readonly toUtc: string;
  /** Calendar dates (UTC) covering the interval: [first day, day after the last). */
  readonly fromDate: string;
  readonly toDate: string;
  /** Epoch seconds, for MySQL TIMESTAMP columns whatever the session time zone. */
  readonly fromEpoch: number;
  readonly toEpoch: number;
}

/** The bounds of `[start, end)`. */
export function timeBounds(i: DataInterval): TimeBounds {
  const utc = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  const lastDay = new Date(i.end.getTime() - 1);
  const dayAfter = new Date(Date.UTC(lastDay.getUTCFullYear(), lastDay.getUTCMonth(), lastDay.getUTCDate() + 1));
  return {
    fromIso: i.start.toISOString(),
    toIso: i.end.toISOString(),
    fromUtc: utc(i.start),
    toUtc: utc(i.end),
    fromDate: i.start.toISOString().slice(0, 10),
    toDate: dayAfter.toISOString().slice(0, 10),
    fromEpoch: i.start.getTime() / 1000,
    toEpoch: i.end.getTime() / 1000,
  };
}

/** Findings of the checks that ride along the forward pass. */
export interface RuleFindings {
  /** Check 5: rows written outside their interval. */
  readonly writeInterval: CheckFailure[];
  /** Check 6 (built in): duplicate declared keys. */
  readonly keys: CheckFailure[];
  /** Tables checked by check 5, and key checks made. */
  readonly counts: { eventTables: number; writeChecks: number; keyChecks: number };
}

/**
 * Forward-pass hooks for check 5 (write inside the interval) and the built-in part of check 6
 * (declared keys stay unique: verify.keys, or a warehouse table's primary key, which Redshift does
 * not enforce). Before each first run the event-time tables are kept; after it,
 * the rows it wrote (present now, not before) must have event times inside the interval.
 */
export function ruleHooks(ctx: VerifyContext, options: { writeInterval: boolean }): { hooks: ForwardHooks; findings: RuleFindings } {
  const findings: RuleFindings = { writeInterval: [], keys: [], counts: { eventTables: 0, writeChecks: 0, keyChecks: 0 } };
  const limit = ctx.settings.sampleRows;
  let kept: KeptState | null = null;
  const eventTables = (state: StateFingerprint) => [...state.tables.values()].filter((t) => ctx.settings.eventTimeColumn(t) !== null);
  const hooks: ForwardHooks = {
    async beforeFirstRun(_interval, state) {
      if (!options.writeInterval) return;
      const tables = eventTables(state);
      kept = tables.length > 0 ? await ctx.keeper.keep('before the run', tables) : null;
    },
    async afterFirstRun(interval, before, after) {
      if (options.writeInterval) {
        try {
          for (const t of eventTables(after)) {
            findings.counts.writeChecks++;
            const failure = await writeInsideInterval(ctx, t, kept?.tables.get(t.name) ?? null, interval, limit);
            if (failure) findings.writeInterval.push(failure);
          }
          findings.counts.eventTables = Math.max(findings.counts.eventTables, eventTables(after).length);
        } finally {
          await ctx.keeper.release(kept);
          kept = null;
        }
      }
      for (const t of after.tables.values()) {
        // The keys given in verify.keys, else a warehouse table's primary key, which Redshift does not enforce.
        const declared = ctx.settings.keyColumns(t);
        const informational = !declared && t.backend === 'postgres' && t.primaryKey.length > 0;
        const key = declared ?? (informational ? [...t.primaryKey] : null);
        const changed = before.tables.get(t.name)?.hash !== t.hash;
        if (!key || !changed || !key.every((k) => t.columns.some((c) => c.name === k))) continue;
        findings.counts.keyChecks++;
        const dup = t.backend === 'postgres' ? await duplicateKeysPostgres(ctx.db.postgres!.pool(), t, key, limit) : await duplicateKeysMysql(ctx.db.mysql!.pool, t, key, limit);
        if (dup.count > 0) {
          const hint = informational ? ` ${unenforcedKeyHint(t.name, key, appendingTasks((ctx.runner as Partial<DagRunner>).dag, t))}` : '';
          findings.keys.push({
            interval,
            message: `after ${intervalLabel(interval)}, ${t.name} has ${dup.count} key value(s) of (${key.join(', ')}) on more than one row: the declared keys must identify one row${hint ? `.${hint}` : ''}`,
            rows: dup.rows,
          });
        }
      }
    },
  };
  return { hooks, findings };
}

async function writeInsideInterval(
  ctx: VerifyContext,
  t: TableFingerprint,
  kept: { schema: string; table: string } | null,
  interval: DataInterval,
  limit: number,
): Promise<CheckFailure | null> {
  const column = ctx.settings.eventTimeColumn(t)!;
  const info = t.columns.find((c) => c.name === column);
  if (!info) return { interval, message: `${t.name} has no column "${column}" (named as its event time in verify.eventTime); columns: ${t.columns.map((c) => c.name).join(', ')}` };
  const columns = t.columns.filter((c) => !t.ignored.includes(c.name));
  const bounds = timeBounds(interval);
  const found =
    t.backend === 'postgres'
      ? await rowsOutsidePostgres(ctx.db.postgres!.pool(), t, kept, columns.map((c) => c.name), { column, type: info.type }, bounds, limit)
      : await rowsOutsideMysql(ctx.db.mysql!.pool, t, kept, columns, { column, type: info.type }, bounds, limit);
  if (found.count === 0) return null;
  return {
    interval,
    message: `the run of ${intervalLabel(interval)} wrote ${found.count} row(s) to ${t.name} whose ${column} lies outside its data interval [${bounds.fromIso}, ${bounds.toIso})`,
    rows: found.rows,
  };
}
