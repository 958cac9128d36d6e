import type { Pool } from 'pg';
import { pgTableName, quotePgIdent } from '../../sql/identifiers.ts';
import type { TableSettings } from '../settings.ts';
import type { TableFingerprint } from '../types.ts';
import { listPgTables, type PgTable } from './catalog.ts';
import { fingerprintOf, fingerprintPgTables, ignoredOf, tableId } from './fingerprint.ts';

/** dagbox's own schema in the warehouse for write tracking (never fingerprinted: `dgbx_` prefix). */
const SCHEMA = 'dgbx_track';
const TRIGGER = 'dgbx_track_writes';

/**
 * Every statement that writes a tracked table (INSERT, UPDATE, DELETE, TRUNCATE, COPY, MERGE,
 * through any connection, operator or raw SQL) adds a row with a fresh random token, in the
 * writer's own transaction: a write rolled back leaves no mark. SECURITY DEFINER, so a writer
 * without rights on dgbx_track is still tracked; ENABLE ALWAYS (below), so
 * session_replication_role = replica does not silence it.
 */
const SETUP_SQL = `
CREATE SCHEMA IF NOT EXISTS ${SCHEMA};
CREATE TABLE IF NOT EXISTS ${SCHEMA}.writes (relid oid NOT NULL, token uuid NOT NULL);
CREATE OR REPLACE FUNCTION ${SCHEMA}.mark() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  INSERT INTO ${SCHEMA}.writes (relid, token) VALUES (TG_RELID, gen_random_uuid());
  RETURN NULL;
END $$;`;

/** Per table: what identifies its content without reading it. */
const STATE_SQL = `
SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS table, c.relkind AS kind,
  pg_relation_filenode(c.oid)::text AS filenode,
  EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = '${TRIGGER}' AND t.tgenabled = 'A') AS tracked,
  (SELECT md5(string_agg(w.token::text, ',' ORDER BY w.token)) FROM ${SCHEMA}.writes w WHERE w.relid = c.oid) AS marks,
  pg_postmaster_start_time()::text || '/' || coalesce(inet_server_port()::text, '') || '/' || current_database() AS server
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE 'dgbx\\_%'`;

interface RelationState {
  oid: string;
  schema: string;
  table: string;
  kind: string;
  filenode: string | null;
  tracked: boolean;
  marks: string | null;
  server: string;
}

/** Fingerprints by content key; a key names one content for good, so entries never go stale. */
const cache = new Map<string, { rows: number; hash: string }>();
const CACHE_LIMIT = 20_000;

/**
 * {@link fingerprintPgTables} of every user table, hashing only the tables that may have changed
 * since a fingerprint of the same content was taken: a table is proven untouched, without reading
 * it, when its write marks, file node (a rewrite by TRUNCATE, ALTER TABLE ... TYPE, VACUUM FULL
 * gives a new one), oid, columns and ignored columns are those of a content already hashed. Tables
 * without the tracking trigger (new ones, or all of them on the first call) are hashed and get it,
 * marked by an install token so that no two histories share a key. Partitioned tables and
 * materialized views are always hashed. Where tracking cannot be set up (no right to create the
 * schema or a trigger), every table is hashed, as before.
 */
export async function fingerprintPostgresTracked(pool: Pool, settings: TableSettings, version: number): Promise<TableFingerprint[]> {
  const tables = (await listPgTables(pool)).filter((t) => !settings.excludesTable(tableId(t)));
  if (tables.length === 0) return [];
  let states: Map<string, RelationState>;
  try {
    states = await relationStates(pool);
  } catch {
    return fingerprintPgTables(pool, tables, settings, version);
  }
  const keyOf = (t: PgTable, s: RelationState | undefined) =>
    s && s.kind === 'r' && s.tracked && s.filenode
      ? [s.server, s.oid, s.filenode, version, `${t.schema}.${t.table}`, t.columns.map((c) => `${c.name}:${c.type}`).join(','), ignoredOf(t, settings).join(','), s.marks ?? ''].join('|')
      : null;
  const known: TableFingerprint[] = [];
  const toHash: PgTable[] = [];
  for (const t of tables) {
    const key = keyOf(t, states.get(`${t.schema}.${t.table}`));
    const hit = key ? cache.get(key) : undefined;
    if (hit) known.push(fingerprintOf(t, settings, hit));
    else toHash.push(t);
  }
  if (toHash.length === 0) return order(tables, known);
  // Track before hashing, so that no write falls between the hash and the trigger.
  const untracked = toHash.filter((t) => states.get(`${t.schema}.${t.table}`)?.kind === 'r' && !states.get(`${t.schema}.${t.table}`)?.tracked);
  const installed = untracked.length > 0 ? await installTracking(pool, untracked) : true;
  const hashed = await fingerprintPgTables(pool, toHash, settings, version);
  if (installed) {
    const after = untracked.length > 0 ? await relationStates(pool).catch(() => null) : states;
    if (cache.size > CACHE_LIMIT) cache.clear();
    for (const [i, t] of toHash.entries()) {
      const key = keyOf(t, after?.get(`${t.schema}.${t.table}`));
      const f = hashed[i]!;
      if (key) cache.set(key, { rows: f.rows, hash: f.hash });
    }
  }
  return order(tables, [...known, ...hashed]);
}

async function relationStates(pool: Pool): Promise<Map<string, RelationState>> {
  await ensureSchema(pool);
  const { rows } = await pool.query<RelationState>(STATE_SQL);
  return new Map(rows.map((r) => [`${r.schema}.${r.table}`, r]));
}

const ready = new WeakMap<Pool, Promise<void>>();

async function ensureSchema(pool: Pool): Promise<void> {
  // The pool is replaced by every restore; the schema itself travels with the database.
  let done = ready.get(pool);
  if (!done) {
    done = pool.query(`SELECT to_regprocedure('${SCHEMA}.mark()') IS NOT NULL AS ok`).then(async ({ rows }) => {
      if (!(rows[0] as { ok: boolean }).ok) await pool.query(SETUP_SQL);
    });
    ready.set(pool, done);
    done.catch(() => ready.delete(pool));
  }
  await done;
}

/** Add the statement trigger to each table and an install mark; false when that is not allowed here. */
async function installTracking(pool: Pool, tables: readonly PgTable[]): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const t of tables) {
      const name = pgTableName(t.schema, t.table);
      await client.query(`CREATE TRIGGER ${quotePgIdent(TRIGGER)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${name} FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.mark()`);
      await client.query(`ALTER TABLE ${name} ENABLE ALWAYS TRIGGER ${quotePgIdent(TRIGGER)}`);
      await client.query(`INSERT INTO ${SCHEMA}.writes (relid, token) VALUES ($1::regclass, gen_random_uuid())`, [name]);
    }
    await client.query('COMMIT');
    return true;
  } catch {
    await client.query('ROLLBACK').catch(() => {});
    return false;
  } finally {
    client.release();
  }
}

function order(tables: readonly PgTable[], prints: TableFingerprint[]): TableFingerprint[] {
  const byName = new Map(prints.map((p) => [`${p.schema}.${p.table}`, p]));
  return tables.map((t) => byName.get(`${t.schema}.${t.table}`)!);
}
