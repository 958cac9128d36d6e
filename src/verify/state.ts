import type { VerifyDb } from './db.ts';
import { fingerprintMysql } from './mysql/fingerprint.ts';
import { postgresVersion } from './postgres/fingerprint.ts';
import { fingerprintPostgresTracked } from './postgres/write-tracking.ts';
import { fingerprintS3, objectName } from './s3/fingerprint.ts';
import type { TableSettings } from './settings.ts';
import type { ObjectChange, ObjectFingerprint, StateChanges, StateFingerprint, TableChange, TableFingerprint } from './types.ts';

/**
 * Takes {@link StateFingerprint}s of a session: every user table of the warehouse and the source
 * and every object of the session's buckets, the three services in parallel.
 *
 * ```ts
 * const reader = new StateReader(verifyDb(session.clients), new TableSettings(config.verify));
 * const before = await reader.capture();
 * // ... run something ...
 * const changes = compareStates(before, await reader.capture());
 * ```
 */
export class StateReader {
  private pgVersion: number | undefined;

  constructor(
    readonly db: VerifyDb,
    readonly settings: TableSettings,
  ) {}

  /** Fingerprint the session now. */
  async capture(): Promise<StateFingerprint> {
    const start = performance.now();
    const { postgres, mysql, s3 } = this.db;
    const [pgTables, myTables, objects] = await Promise.all([
      postgres ? this.postgresTables() : [],
      mysql ? fingerprintMysql(mysql.pool, mysql.schemas(), this.settings) : [],
      s3 ? fingerprintS3(s3.client, s3.buckets(), this.settings) : [],
    ]);
    return {
      tables: new Map([...pgTables, ...myTables].map((t) => [t.name, t])),
      objects: new Map(objects.map((o) => [objectName(o), o])),
      ms: performance.now() - start,
    };
  }

  /** `server_version_num` of the warehouse, asked once. */
  async postgresVersion(): Promise<number> {
    this.pgVersion ??= await postgresVersion(this.db.postgres!.pool());
    return this.pgVersion;
  }

  private async postgresTables(): Promise<TableFingerprint[]> {
    const version = await this.postgresVersion();
    return fingerprintPostgresTracked(this.db.postgres!.pool(), this.settings, version);
  }
}

/** Options of {@link compareStates}. */
export interface CompareOptions {
  /**
   * Treat a table that exists on one side only and is empty as equal to its absence: a load that
   * creates its table and fails before writing a row has written nothing (check 4).
   */
  missingIsEmpty?: boolean;
}

/** What differs between two fingerprints: tables created, dropped, re-shaped or re-filled, and objects. */
export function compareStates(before: StateFingerprint, after: StateFingerprint, options: CompareOptions = {}): StateChanges {
  const tables: TableChange[] = [];
  for (const name of new Set([...before.tables.keys(), ...after.tables.keys()])) {
    const b = before.tables.get(name) ?? null;
    const a = after.tables.get(name) ?? null;
    const kind = tableChangeKind(b, a, options);
    if (kind) tables.push({ name, before: b, after: a, kind });
  }
  const objects: ObjectChange[] = [];
  for (const name of new Set([...before.objects.keys(), ...after.objects.keys()])) {
    const b = before.objects.get(name) ?? null;
    const a = after.objects.get(name) ?? null;
    if (!sameObject(b, a)) objects.push({ name, before: b, after: a });
  }
  return { tables: tables.sort((x, y) => x.name.localeCompare(y.name)), objects: objects.sort((x, y) => x.name.localeCompare(y.name)) };
}

/** True when nothing differs. */
export function noChanges(changes: StateChanges): boolean {
  return changes.tables.length === 0 && changes.objects.length === 0;
}

/** One line: `raw_data.nps (rows 10 → 20), s3://bucket/nps.csv (changed)`. */
export function describeChanges(changes: StateChanges): string {
  const tables = changes.tables.map((t) => {
    switch (t.kind) {
      case 'created':
        return `${t.name} (created, ${t.after!.rows} rows)`;
      case 'dropped':
        return `${t.name} (dropped)`;
      case 'schema':
        return `${t.name} (columns changed)`;
      default:
        return t.before!.rows === t.after!.rows ? `${t.name} (${t.after!.rows} rows, content changed)` : `${t.name} (rows ${t.before!.rows} → ${t.after!.rows})`;
    }
  });
  const objects = changes.objects.map((o) => `${o.name} (${o.before === null ? 'created' : o.after === null ? 'deleted' : 'changed'})`);
  return [...tables, ...objects].join(', ');
}

function tableChangeKind(b: TableFingerprint | null, a: TableFingerprint | null, options: CompareOptions): TableChange['kind'] | null {
  if (b === null && a === null) return null;
  if (b === null) return options.missingIsEmpty && a!.rows === 0 ? null : 'created';
  if (a === null) return options.missingIsEmpty && b.rows === 0 ? null : 'dropped';
  if (schemaSignature(b) !== schemaSignature(a)) return 'schema';
  if (b.rows !== a.rows || b.hash !== a.hash) return 'rows';
  return null;
}

/** Columns (name and type) that take part in the hash, in order. */
export function schemaSignature(t: TableFingerprint): string {
  return t.columns
    .filter((c) => !t.ignored.includes(c.name))
    .map((c) => `${c.name}:${c.type}`)
    .join(',');
}

function sameObject(b: ObjectFingerprint | null, a: ObjectFingerprint | null): boolean {
  if (b === null || a === null) return b === a;
  return b.size === a.size && b.etag === a.etag;
}
