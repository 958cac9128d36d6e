import { shortId } from '../sql/identifiers.ts';
import { mapLimit } from '../shared/map-limit.ts';
import { S3_CONCURRENCY } from '../shared/s3-objects.ts';
import type { VerifyDb } from './db.ts';
import { dropMysqlKeepDb, dropMysqlKept, keepMysqlTable } from './mysql/keep.ts';
import { dropPostgresKeepSchema, dropPostgresKept, keepPostgresTable, reinstatePostgresTables, stashPostgresTables } from './postgres/keep.ts';
import { dropKeepBucket, keepObject } from './s3/keep.ts';
import type { ObjectFingerprint, TableFingerprint } from './types.ts';

/** A copy of a table as it was, kept on its own server for a later diff. */
export interface KeptTable {
  readonly source: TableFingerprint;
  readonly schema: string;
  readonly table: string;
}

/** A copy of an object as it was, in the keep bucket. */
export interface KeptObject {
  readonly source: ObjectFingerprint;
  readonly bucket: string;
  readonly key: string;
}

/** Tables and objects of one state kept for diffs, with a label for reports (`after the 2nd run`). */
export interface KeptState {
  readonly label: string;
  readonly tables: ReadonlyMap<string, KeptTable>;
  readonly objects: ReadonlyMap<string, KeptObject>;
}

/**
 * Keeps copies of tables and objects inside their own servers, so that a diff can join a past
 * state with the present one without pulling rows into Node: a Postgres schema, a MySQL database
 * and an S3 bucket named `dgbx_verify_<id>` / `dgbx-verify-<id>`, never fingerprinted and removed
 * by {@link Keeper.dispose}. Only what changed is kept, and only when a diff may need it.
 */
export class Keeper {
  readonly id = shortId();
  /** The Postgres schema and MySQL database holding copies. */
  readonly space = `dgbx_verify_${this.id}`;
  readonly bucket = `dgbx-verify-${this.id}`;
  private next = 0;

  constructor(private readonly db: VerifyDb) {}

  /** Copy these tables and objects as they are now. */
  async keep(label: string, tables: readonly TableFingerprint[], objects: readonly ObjectFingerprint[] = []): Promise<KeptState> {
    const keptTables = new Map<string, KeptTable>();
    for (const t of tables) {
      const name = `k${++this.next}`;
      if (t.backend === 'postgres') await keepPostgresTable(this.db.postgres!.pool(), this.space, name, t);
      else await keepMysqlTable(this.db.mysql!.pool, this.space, name, t);
      keptTables.set(t.name, { source: t, schema: this.space, table: name });
    }
    const keptObjects = new Map<string, KeptObject>();
    const named = objects.map((o) => ({ o, key: `o${++this.next}` }));
    if (named.length > 0) {
      // The first copy creates the bucket; the others run side by side.
      await keepObject(this.db.s3!.client, this.bucket, named[0]!.key, named[0]!.o);
      await mapLimit(named.slice(1), S3_CONCURRENCY, ({ o, key }) => keepObject(this.db.s3!.client, this.bucket, key, o));
    }
    for (const { o, key } of named) keptObjects.set(`s3://${o.bucket}/${o.key}`, { source: o, bucket: this.bucket, key });
    return { label, tables: keptTables, objects: keptObjects };
  }

  /** Drop a state's copies (objects stay until dispose: the bucket goes at once then). */
  async release(state: KeptState | null | undefined): Promise<void> {
    if (!state) return;
    const pg = [...state.tables.values()].filter((t) => t.source.backend === 'postgres').map((t) => t.table);
    const my = [...state.tables.values()].filter((t) => t.source.backend === 'mysql').map((t) => t.table);
    if (pg.length > 0) await dropPostgresKept(this.db.postgres!.pool(), this.space, pg);
    if (my.length > 0) await dropMysqlKept(this.db.mysql!.pool, this.space, my);
  }

  /**
   * Run `restore` (a session restore) and keep `states` usable across it. A Postgres restore
   * replaces the whole database, keep schema included, so the Postgres copies are read out
   * (COPY, in memory) before and written back after; MySQL copies and objects live outside
   * what a restore touches.
   */
  async acrossRestore(states: readonly (KeptState | null | undefined)[], restore: () => Promise<void>): Promise<void> {
    const pgNames = states.flatMap((s) => (s ? [...s.tables.values()] : [])).filter((t) => t.source.backend === 'postgres').map((t) => t.table);
    const stash = pgNames.length > 0 ? await stashPostgresTables(this.db.postgres!.pool(), this.space, pgNames) : [];
    await restore();
    if (this.db.postgres) await dropPostgresKeepSchema(this.db.postgres.pool(), this.space);
    if (stash.length > 0) await reinstatePostgresTables(this.db.postgres!.pool(), this.space, stash);
  }

  /** Remove every copy: the keep schema, database and bucket. */
  async dispose(): Promise<void> {
    await Promise.allSettled([
      this.db.postgres ? dropPostgresKeepSchema(this.db.postgres.pool(), this.space) : undefined,
      this.db.mysql ? dropMysqlKeepDb(this.db.mysql.pool, this.space) : undefined,
      this.db.s3 ? dropKeepBucket(this.db.s3.client, this.bucket) : undefined,
    ]);
  }
}
