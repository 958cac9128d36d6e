import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { TaskContext } from '../dag/types.ts';
import type { Dialect } from '../sql/sql-lexer.ts';
import { SESSION_BUCKET } from '../warehouse/s3-location.ts';
import { bindSqlTemplate, type BoundStatement, type SqlParameters } from '../template/sql-template.ts';

/** SQL given to an operator: text, a `.sql` file (a `file:` URL, e.g. `new URL('sql/x.sql', import.meta.url)`), or a list of them. */
export type SqlInput = string | URL | readonly (string | URL)[];

/** `task "load" of DAG "nps", field "sql"`: where a problem is, for messages. */
export function fieldWhere(ctx: TaskContext, field: string): string {
  return `task "${ctx.taskId}" of DAG "${ctx.dagId}", field "${field}"`;
}

/** {@link fieldWhere} after the DAG file and line that declared the task: `dags/nps.ts:12: task "load" ...`. */
export function fieldPlace(ctx: TaskContext, field: string): string {
  return `${ctx.location ? `${ctx.location}: ` : ''}${fieldWhere(ctx, field)}`;
}

/** The SQL templates of an input, files read (a file is a template too). */
export async function readSqlInput(input: SqlInput, where: string): Promise<string[]> {
  const items = typeof input === 'string' || input instanceof URL ? [input] : [...input];
  if (items.length === 0) throw new Error(`${where}: expected SQL, found an empty list`);
  return Promise.all(
    items.map(async (item) => {
      if (typeof item === 'string') return item;
      try {
        return await readFile(fileURLToPath(item), 'utf8');
      } catch (error) {
        throw new Error(`${where}: cannot read the SQL file ${item.href}: ${(error as Error).message}; check the path (relative to the DAG file with new URL('...', import.meta.url))`, { cause: error });
      }
    }),
  );
}

/** Bind a SQL template with this run's values (see {@link bindSqlTemplate}). */
export function bindForTask(ctx: TaskContext, template: string, dialect: Dialect, parameters: SqlParameters | undefined, field: string): BoundStatement[] {
  return bindSqlTemplate(template, { dialect, render: (t) => ctx.renderParts(t), parameters, where: fieldPlace(ctx, field), mask: (text) => ctx.mask(text) });
}

/** Exactly one statement, or an error saying why more were found. */
export function singleStatement(statements: BoundStatement[], ctx: TaskContext, field: string): BoundStatement {
  if (statements.length !== 1) {
    throw new Error(`${fieldWhere(ctx, field)}: expected one query, found ${statements.length} statements separated by ";"; run the others in a sql task`);
  }
  return statements[0]!;
}

/** The bucket: as given, with `_` (or nothing) meaning the session's own bucket. */
export function resolveBucket(ctx: TaskContext, bucket: string | undefined): string {
  if (bucket === undefined || bucket === SESSION_BUCKET) {
    if (!ctx.bucket) throw new Error(`task "${ctx.taskId}" needs the session's S3 bucket, and this run has no services; give s3Bucket, or run with services`);
    return ctx.bucket;
  }
  return bucket;
}

/** `schema.table` split into its two parts (a bare table is in `defaultSchema`). */
export function splitTableName(name: string, defaultSchema: string | null, what: string): { schema: string | null; table: string } {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new Error(`${what}: expected a table as "schema.table" or "table", found ${JSON.stringify(name)}`);
  }
  return parts.length === 2 ? { schema: parts[0]!, table: parts[1]! } : { schema: defaultSchema, table: parts[0]! };
}

/** The value of `x` for JSON (XCom): bigints as decimal text, Buffers as hex. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}
