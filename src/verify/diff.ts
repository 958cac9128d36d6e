import type { VerifyDb } from './db.ts';
import { generatedKeyHint, wallClockHint } from './hints.ts';
import type { KeptObject, KeptState, KeptTable } from './keeper.ts';
import { diffMysql, firstRowsMysql } from './mysql/diff.ts';
import { pgRelationColumns } from './postgres/catalog.ts';
import { diffPostgres, firstRowsPostgres } from './postgres/diff.ts';
import { sampleRow, type DiffColumn, type DiffSide, type RelationDiffQuery, type RelationDiffResult } from './relation-diff.ts';
import { readText } from './s3/keep.ts';
import type { TableSettings } from './settings.ts';
import type {
  ColumnInfo,
  KeyKind,
  ObjectChange,
  ObjectsDiff,
  StateChanges,
  StateDiff,
  TableBackend,
  TableChange,
  TableDiff,
  TableFingerprint,
} from './types.ts';

/** Lines of a changed object shown per side. */
const SAMPLE_LINES = 5;

/**
 * The row-level diff engine every check uses. Given what changed between two fingerprints and
 * the copies kept of the earlier state, it joins each changed table's earlier copy with its
 * present rows inside the database: on the primary key, else the declared keys, else all
 * columns; counts common, only-before, only-after and changed rows; per-column match; the first
 * differing rows side by side; and hints (wall-clock timestamps, generated keys, appended copies).
 */
export class DiffEngine {
  constructor(
    private readonly db: VerifyDb,
    private readonly settings: TableSettings,
  ) {}

  /** Diff every change; the earlier side comes from `kept` (tables not kept get counts only). */
  async diff(changes: StateChanges, kept: KeptState | null, labels: { before: string; after: string }): Promise<StateDiff> {
    const tables: TableDiff[] = [];
    for (const change of changes.tables) tables.push(await this.tableDiff(change, kept?.tables.get(change.name)));
    return { tables, objects: await this.objectsDiff(changes.objects, kept), beforeLabel: labels.before, afterLabel: labels.after };
  }

  private async tableDiff(change: TableChange, kept: KeptTable | undefined): Promise<TableDiff> {
    const t = (change.after ?? change.before)!;
    if (change.before && !kept) return countsOnly(change);
    const before = change.before && kept ? await this.side(t.backend, kept.schema, kept.table, change.before.columns) : null;
    const after = change.after ? await this.side(t.backend, t.schema, t.table, change.after.columns) : null;
    if (!before) return this.oneSided('only-after', after!, change.after!);
    if (!after) return this.oneSided('only-before', before, change.before!);
    return this.bothSides(change.before!, change.after!, before, after);
  }

  private async bothSides(bf: TableFingerprint, af: TableFingerprint, before: DiffSide, after: DiffSide): Promise<TableDiff> {
    const ignored = new Set([...bf.ignored, ...af.ignored]);
    const beforeNames = new Set(before.columns.map((c) => c.name));
    const afterNames = new Set(after.columns.map((c) => c.name));
    const common = after.columns.filter((c) => beforeNames.has(c.name) && !ignored.has(c.name)).map((c) => c.name);
    const { key, keyKind } = this.chooseKey(bf, af, common);
    const q: RelationDiffQuery = {
      before,
      after,
      key,
      unique: keyKind === 'primary key',
      compare: common.filter((c) => !key.includes(c)),
      sampleRows: this.settings.sampleRows,
    };
    let result = await this.run(af.backend, q);
    let used = q;
    let kind: KeyKind = keyKind;
    const hints: string[] = [];

    // Keyless rows that changed in one column pair off once that column leaves the key.
    if (keyKind === 'all columns' && result.onlyBefore > 0 && result.onlyBefore === result.onlyAfter && result.changed === 0) {
      for (const column of after.columns.filter((c) => common.includes(c.name) && (c.family === 'timestamp' || c.generated))) {
        const retry: RelationDiffQuery = { ...q, key: common.filter((c) => c !== column.name), compare: [column.name] };
        const again = await this.run(af.backend, retry);
        if (again.onlyBefore === 0 && again.onlyAfter === 0) {
          result = again;
          used = retry;
          kind = 'all other columns';
          break;
        }
      }
    }
    if (kind === 'primary key' && result.changed > 0) hints.push(...(await this.generatedKeyHints(af, q, common)));
    if (result.onlyBefore === 0 && result.duplicatesAfter > 0 && result.duplicatesAfter === result.onlyAfter) {
      hints.push(
        `${af.name}: the ${result.onlyAfter} row(s) added are extra copies of rows already there: the load appends without ` +
          "removing what an earlier run of the same interval wrote. Replace the interval's rows (delete them first, in one " +
          'transaction), or upsert on a key, instead of appending.',
      );
    }
    const columns = used.compare.map((column) => {
      const matched = result.matched.get(column) ?? 0;
      return { column, matched, percent: result.common === 0 ? 100 : (matched / result.common) * 100 };
    });
    if (result.onlyBefore === 0 && result.onlyAfter === 0 && result.changed > 0) {
      for (const m of columns.filter((c) => c.matched < result.common)) {
        const info = after.columns.find((c) => c.name === m.column);
        const hint = info ? wallClockHint(af.name, info, result.samples) : null;
        if (hint) hints.push(hint);
      }
    }
    return {
      table: af.name,
      backend: af.backend,
      presence: 'both',
      rowsBefore: result.rowsBefore,
      rowsAfter: result.rowsAfter,
      keyKind: kind,
      key: used.key,
      schema: schemaChanges(before.columns, after.columns, beforeNames, afterNames),
      common: result.common,
      onlyBefore: result.onlyBefore,
      onlyAfter: result.onlyAfter,
      changed: result.changed,
      columns,
      compared: used.compare,
      display: [...used.key, ...used.compare],
      samples: result.samples,
      ignored: [...ignored],
      hints,
    };
  }

  /** Primary key if both sides have it, else declared keys present on both sides, else all columns. */
  private chooseKey(bf: TableFingerprint, af: TableFingerprint, common: readonly string[]): { key: string[]; keyKind: KeyKind } {
    const usable = (cols: readonly string[]) => cols.length > 0 && cols.every((c) => common.includes(c));
    if (usable(af.primaryKey) && af.primaryKey.join() === bf.primaryKey.join()) return { key: [...af.primaryKey], keyKind: 'primary key' };
    const declared = this.settings.keyColumns(af);
    if (declared && usable(declared)) return { key: [...declared], keyKind: 'declared keys' };
    return { key: [...common], keyKind: 'all columns' };
  }

  /** When a generated primary key is all that differs, say so (rows loaded in another order get other ids). */
  private async generatedKeyHints(af: TableFingerprint, q: RelationDiffQuery, common: readonly string[]): Promise<string[]> {
    const generated = af.columns.filter((c) => c.generated && q.key.includes(c.name)).map((c) => c.name);
    if (generated.length !== q.key.length) return [];
    const natural = common.filter((c) => !generated.includes(c));
    if (natural.length === 0) return [];
    const byContent = await this.run(af.backend, { ...q, key: natural, compare: [], unique: false, sampleRows: 0 });
    return byContent.onlyBefore === 0 && byContent.onlyAfter === 0 ? [generatedKeyHint(af.name, generated)] : [];
  }

  private async oneSided(kind: 'only-before' | 'only-after', side: DiffSide, f: TableFingerprint): Promise<TableDiff> {
    const shown = side.columns.map((c) => c.name).filter((c) => !f.ignored.includes(c));
    const order = f.primaryKey.length > 0 ? [...f.primaryKey] : shown;
    const rows =
      f.backend === 'postgres'
        ? await firstRowsPostgres(this.db.postgres!.pool(), side, shown, order, this.settings.sampleRows)
        : await firstRowsMysql(this.db.mysql!.pool, side, shown, order, this.settings.sampleRows);
    const n = f.rows;
    return {
      table: f.name,
      backend: f.backend,
      presence: kind,
      rowsBefore: kind === 'only-before' ? n : 0,
      rowsAfter: kind === 'only-after' ? n : 0,
      keyKind: f.primaryKey.length > 0 ? 'primary key' : 'all columns',
      key: order.filter((c) => f.primaryKey.includes(c)),
      schema: {
        added: kind === 'only-after' ? f.columns : [],
        removed: kind === 'only-before' ? f.columns : [],
        retyped: [],
      },
      common: 0,
      onlyBefore: kind === 'only-before' ? n : 0,
      onlyAfter: kind === 'only-after' ? n : 0,
      changed: 0,
      columns: [],
      compared: [],
      display: shown,
      samples: rows.map((r) => sampleRow(kind, shown, kind === 'only-before' ? r : null, kind === 'only-after' ? r : null, [])),
      ignored: [...f.ignored],
      hints: [kind === 'only-after' ? `${f.name} did not exist before` : `${f.name} no longer exists`],
    };
  }

  private async side(backend: TableBackend, schema: string, table: string, fallback: readonly ColumnInfo[]): Promise<DiffSide> {
    if (backend === 'postgres') {
      const columns: DiffColumn[] = await pgRelationColumns(this.db.postgres!.pool(), schema, table);
      return { schema, table, columns: columns.length > 0 ? columns : fallback };
    }
    return { schema, table, columns: fallback };
  }

  private run(backend: TableBackend, q: RelationDiffQuery): Promise<RelationDiffResult> {
    return backend === 'postgres' ? diffPostgres(this.db.postgres!.pool(), q) : diffMysql(this.db.mysql!.pool, q);
  }

  private async objectsDiff(changes: readonly ObjectChange[], kept: KeptState | null): Promise<ObjectsDiff[]> {
    const byBucket = new Map<string, ObjectChange[]>();
    for (const c of changes) {
      const bucket = (c.after ?? c.before)!.bucket;
      if (!byBucket.has(bucket)) byBucket.set(bucket, []);
      byBucket.get(bucket)!.push(c);
    }
    const out: ObjectsDiff[] = [];
    for (const [bucket, list] of byBucket) {
      const changed = list.filter((c) => c.before && c.after).map((c) => ({ key: c.after!.key, before: c.before!, after: c.after! }));
      const lines = [];
      for (const c of changed) {
        const k = kept?.objects.get(`s3://${bucket}/${c.key}`);
        const diff = k ? await this.lineDiff(k, c.after) : null;
        if (diff) lines.push({ key: c.key, ...diff });
      }
      out.push({
        bucket,
        onlyBefore: list.filter((c) => c.before && !c.after).map((c) => c.before!),
        onlyAfter: list.filter((c) => !c.before && c.after).map((c) => c.after!),
        changed,
        lines,
      });
    }
    return out;
  }

  /** Lines only in the kept copy and only in the present object (as multisets), first few of each. */
  private async lineDiff(kept: KeptObject, now: { bucket: string; key: string; size: number }) {
    const client = this.db.s3!.client;
    const [a, b] = await Promise.all([readText(client, kept.bucket, kept.key, kept.source.size), readText(client, now.bucket, now.key, now.size)]);
    if (a === null || b === null) return null;
    const count = new Map<string, number>();
    for (const l of a.split('\n')) count.set(l, (count.get(l) ?? 0) + 1);
    const onlyAfter: string[] = [];
    for (const l of b.split('\n')) {
      const n = count.get(l) ?? 0;
      if (n > 0) count.set(l, n - 1);
      else onlyAfter.push(l);
    }
    const onlyBefore = [...count.entries()].flatMap(([l, n]) => Array<string>(n).fill(l));
    return { onlyBefore: onlyBefore.slice(0, SAMPLE_LINES), onlyAfter: onlyAfter.slice(0, SAMPLE_LINES) };
  }
}

/** A diff of a table whose earlier rows were not kept: counts from the fingerprints. */
function countsOnly(change: TableChange): TableDiff {
  const b = change.before!;
  const a = change.after;
  return {
    table: b.name,
    backend: b.backend,
    presence: a ? 'both' : 'only-before',
    rowsBefore: b.rows,
    rowsAfter: a?.rows ?? 0,
    keyKind: null,
    key: [],
    schema: { added: [], removed: [], retyped: [] },
    common: 0,
    onlyBefore: 0,
    onlyAfter: 0,
    changed: 0,
    columns: [],
    compared: [],
    display: [],
    samples: [],
    ignored: [...b.ignored],
    hints: [`the rows of ${b.name} before were not kept (it had not changed earlier), so only counts are shown: ${b.rows} → ${a?.rows ?? 0} rows`],
  };
}

function schemaChanges(before: readonly ColumnInfo[], after: readonly ColumnInfo[], beforeNames: Set<string>, afterNames: Set<string>): TableDiff['schema'] {
  return {
    added: after.filter((c) => !beforeNames.has(c.name)),
    removed: before.filter((c) => !afterNames.has(c.name)),
    retyped: after.flatMap((c) => {
      const b = before.find((x) => x.name === c.name);
      return b && b.type !== c.type ? [{ column: c.name, before: b.type, after: c.type }] : [];
    }),
  };
}
