import type { Pool } from 'pg';
import { quotePgIdent, truncateBytes } from '../sql/identifiers.ts';

type Made = { ok: true; name: string } | { ok: false; name: string; error: unknown };

/** What a copy of the snapshot is made from. */
export interface CopySource {
  /** The snapshot's template database. */
  readonly template: string;
  /** Names of copies start with this (`dgbx_snap_<id>`) and end with the session database's name. */
  readonly namePrefix: string;
  readonly database: string;
  /** `' OWNER "x"'` or '' — the session database's owner, given to every copy. */
  readonly ownerClause: string;
  readonly serverVersion: number;
}

/**
 * The copies of one Postgres snapshot that are made and dropped off the restore's path.
 *
 * DROP DATABASE forces a checkpoint and CREATE DATABASE copies every block: measured on this
 * machine's shared, fsync-on PostgreSQL under load, 0.8-1.4 s and 0.1-0.5 s, against 2-6 ms for a
 * rename. So a restore renames the live database away and a ready copy (the spare) into its
 * place; making the next spare and dropping the old database happen in the background, and the
 * next restore waits only if its spare is not ready yet. Spares are made one after another, and
 * so are drops, on their own chains, so that a slow drop never delays a spare.
 */
export class PostgresCopies {
  readonly #source: CopySource;
  #count = 0;
  #spare: Promise<Made> | null = null;
  #drops: Promise<void> = Promise.resolve();
  /** Databases waiting to be dropped, or whose drop failed (retried by `dropAll`). */
  readonly #undropped = new Set<string>();

  constructor(source: CopySource) {
    this.#source = source;
  }

  /** Start making the next spare in the background (errors surface when it is taken). */
  prepareSpare(admin: Pool): void {
    if (this.#spare) return;
    const name = this.nextName();
    const spare: Promise<Made> = this.#create(admin, name).then(
      () => ({ ok: true as const, name }),
      (error: unknown) => ({ ok: false as const, name, error }),
    );
    this.#spare = spare;
  }

  /** A spare copy of the snapshot: the prepared one, or one made now if it is missing or failed. */
  async takeSpare(admin: Pool): Promise<string> {
    const pending = this.#spare;
    this.#spare = null;
    if (pending) {
      const made = await pending;
      if (made.ok) return made.name;
      this.discard(admin, made.name);
    }
    const name = this.nextName();
    await this.#create(admin, name);
    return name;
  }

  /** Drop `name` in the background; `dropAll` retries it if that fails. */
  discard(admin: Pool, name: string): void {
    this.#undropped.add(name);
    this.#drops = this.#drops.then(
      () => this.#drop(admin, name).then(() => void this.#undropped.delete(name)),
    ).catch(() => {});
  }

  /** Wait for the background work, then drop the spare and everything still undropped. */
  async dropAll(admin: Pool): Promise<void> {
    const spare = this.#spare;
    this.#spare = null;
    if (spare) this.#undropped.add((await spare).name);
    await this.#drops;
    for (const name of [...this.#undropped]) {
      await this.#drop(admin, name);
      this.#undropped.delete(name);
    }
  }

  /** A fresh copy name: `dgbx_snap_<id>c<n>_<database>`, cut to Postgres' 63 bytes after the unique part. */
  nextName(): string {
    this.#count += 1;
    return truncateBytes(`${this.#source.namePrefix}c${this.#count}_${this.#source.database}`, 63);
  }

  async #create(admin: Pool, name: string): Promise<void> {
    const s = this.#source;
    await admin.query(`CREATE DATABASE ${quotePgIdent(name)} TEMPLATE ${quotePgIdent(s.template)}${s.ownerClause}`);
  }

  async #drop(admin: Pool, name: string): Promise<void> {
    const force = this.#source.serverVersion >= 130000 ? ' WITH (FORCE)' : '';
    await admin.query(`DROP DATABASE IF EXISTS ${quotePgIdent(name)}${force}`);
  }
}
