import { randomBytes } from 'node:crypto';

/** Prefix of every database, schema and bucket a snapshot creates, so leftovers are recognisable. */
export const SNAPSHOT_PREFIX = 'dgbx_snap_';

/** Quote a MySQL identifier with backticks (a backtick inside is doubled). */
export function quoteMysqlIdent(name: string): string {
  assertIdentifier(name, 'MySQL');
  return '`' + name.replaceAll('`', '``') + '`';
}

/** Quote a Postgres identifier with double quotes (a double quote inside is doubled). */
export function quotePgIdent(name: string): string {
  assertIdentifier(name, 'Postgres');
  return '"' + name.replaceAll('"', '""') + '"';
}

/** `schema.table` with both parts quoted for MySQL. */
export function mysqlTableName(schema: string, table: string): string {
  return `${quoteMysqlIdent(schema)}.${quoteMysqlIdent(table)}`;
}

/** `schema.table` with both parts quoted for Postgres. */
export function pgTableName(schema: string, table: string): string {
  return `${quotePgIdent(schema)}.${quotePgIdent(table)}`;
}

/** A short random id (8 hex digits) that keeps two snapshots' physical names apart. */
export function shortId(): string {
  return randomBytes(4).toString('hex');
}

/** `name` reduced to lowercase letters and digits joined by `separator`, at most `max` characters. */
export function slug(name: string, max: number, separator = '_'): string {
  const parts = name.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return parts.join(separator).slice(0, max).replace(/[^a-z0-9]+$/, '');
}

function assertIdentifier(name: string, dialect: string): void {
  if (name.length === 0 || name.includes('\0')) {
    throw new Error(`expected a ${dialect} identifier, found ${JSON.stringify(name)}: names must be non-empty and contain no NUL character`);
  }
}

/** `name` cut to at most `maxBytes` UTF-8 bytes without splitting a character (Postgres names stop at 63 bytes). */
export function truncateBytes(name: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}
