import type { VerifyDb } from './db.ts';
import { reverseMysqlTable } from './mysql/reorder.ts';
import { postgresPhysicalSignature, reversePostgresTable } from './postgres/reorder.ts';
import type { StateFingerprint, TableFingerprint } from './types.ts';

/** Tables above this many rows are left in their order: rewriting them would cost more than a re-run. */
export const MAX_REORDER_ROWS = 200_000;

/**
 * Gives the idempotency re-run the same data in another physical order: before the re-run every
 * table is rewritten backwards, and after each of its tasks, the tables that task wrote. A
 * pipeline whose result depends on row order (a tie under `ORDER BY ... LIMIT`, no `ORDER BY`, an
 * order-dependent aggregate) then writes something else, as it may on Redshift. Tables are
 * rewritten only when they were written since the last rewrite (their physical signature moved;
 * on MySQL their content), so a table is never turned back to its first order by a second reversal.
 */
export class Reorderer {
  /** Table name -> physical signature right after it was last reversed. */
  private readonly reversed = new Map<string, string>();
  /** Tables that cannot be reordered (keyed InnoDB tables, referenced or triggered tables). */
  private readonly fixed = new Set<string>();
  count = 0;

  constructor(
    private readonly db: VerifyDb,
    private readonly capture: () => Promise<StateFingerprint>,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Reverse every table whose content differs from when it was last reversed (all of them the first time). */
  async reorderChanged(state?: StateFingerprint): Promise<void> {
    const now = state ?? (await this.capture());
    for (const t of now.tables.values()) {
      if (this.fixed.has(t.name) || t.rows < 2 || t.rows > MAX_REORDER_ROWS) continue;
      try {
        if (this.reversed.get(t.name) === (await this.signature(t))) continue;
        const done = await this.reverse(t);
        if (done) {
          this.reversed.set(t.name, await this.signature(t));
          this.count++;
        } else this.fixed.add(t.name);
      } catch (error) {
        // A table that cannot be rewritten keeps its order; the re-run is still a re-run.
        this.fixed.add(t.name);
        this.log(`verify: could not reorder ${t.name} for the re-run (${(error as Error).message.split('\n')[0]}); it keeps its row order`);
      }
    }
  }

  /**
   * Put every table this reorderer reversed, and that has not changed since, back in its first
   * order (a second reversal), so later runs read rows as the first run did.
   */
  async undo(): Promise<void> {
    const now = await this.capture();
    for (const [name, signature] of this.reversed) {
      const t = now.tables.get(name);
      if (!t) continue;
      try {
        if ((await this.signature(t)) !== signature) continue;
        await this.reverse(t);
      } catch (error) {
        this.log(`verify: could not put ${name} back in its row order (${(error as Error).message.split('\n')[0]})`);
      }
    }
    this.reversed.clear();
  }

  private signature(t: TableFingerprint): Promise<string> {
    if (t.backend === 'postgres' && this.db.postgres) return postgresPhysicalSignature(this.db.postgres.pool(), t.schema, t.table);
    return Promise.resolve(t.hash);
  }

  private reverse(t: TableFingerprint): Promise<boolean> {
    if (t.backend === 'postgres') return this.db.postgres ? reversePostgresTable(this.db.postgres.pool(), t.schema, t.table) : Promise.resolve(false);
    return this.db.mysql ? reverseMysqlTable(this.db.mysql.pool, t.schema, t.table) : Promise.resolve(false);
  }
}
