import type { Dag } from '../dag/dag.ts';
import type { TableFingerprint } from './types.ts';

/**
 * The tasks of `dag` that load into `table` with method APPEND (s3ToWarehouse, sqlToSql; APPEND
 * is their default), by task id. A plain task function cannot be read, so it is never named.
 */
export function appendingTasks(dag: Dag | undefined, table: TableFingerprint): string[] {
  if (!dag) return [];
  const names = new Set([`${table.schema}.${table.table}`.toLowerCase(), table.table.toLowerCase()]);
  const found: string[] = [];
  for (const task of dag.tasks.values()) {
    const body = task.body;
    if (typeof body === 'function') continue;
    const args = body.args as { method?: string; schema?: string; table?: string; destinationTable?: string };
    if ((args.method ?? 'APPEND').toUpperCase() !== 'APPEND') continue;
    const target = body.kind === 's3ToWarehouse' ? (args.schema ? `${args.schema}.${args.table}` : args.table) : body.kind === 'sqlToSql' ? args.destinationTable : undefined;
    if (target && names.has(target.toLowerCase())) found.push(task.id);
  }
  return found;
}

/**
 * Advice for a declared primary key repeated in a warehouse table: Redshift keeps keys as
 * information and never enforces them, so an APPEND (or any INSERT) of rows already there
 * duplicates them in production exactly as here.
 *
 * ```ts
 * unenforcedKeyHint('raw_data.nps', ['id'], ['load']);
 * // 'raw_data.nps: its PRIMARY KEY (id) is not enforced on Redshift ... task "load" APPENDs ...'
 * ```
 */
export function unenforcedKeyHint(table: string, key: readonly string[], appenders: readonly string[]): string {
  const by = appenders.length > 0 ? `task${appenders.length > 1 ? 's' : ''} ${appenders.map((t) => `"${t}"`).join(', ')} load${appenders.length > 1 ? '' : 's'} it with method APPEND, which` : 'a load that APPENDs or INSERTs';
  return (
    `${table}: its PRIMARY KEY (${key.join(', ')}) is informational on Redshift — declared, never enforced — so ${by} ` +
    `adds a second row for a key already there instead of failing, in production as here. ` +
    `Load with method UPSERT (upsertKeys: [${key.map((k) => `'${k}'`).join(', ')}]), or REPLACE the interval's rows (DELETE ... then INSERT, in one transaction).`
  );
}
