import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { isDag, type Dag } from './dag.ts';
import { mappedStack } from './location.ts';
import { validateDag } from './validate.ts';

/** A DAG that loaded and validated, with the file it came from. */
export interface LoadedDag {
  dag: Dag;
  file: string;
}

/** Why a file (or one DAG in it) could not be loaded: `file:line: message`. */
export interface DagLoadError {
  file: string;
  line?: number;
  column?: number;
  dagId?: string;
  message: string;
}

/** The result of loading a folder, as Airflow's DagBag: the good DAGs and one error per problem. */
export interface DagBag {
  dags: LoadedDag[];
  errors: DagLoadError[];
}

/** Imports one DAG file and returns its exports. Replaceable so watch mode can import in a worker. */
export type ModuleImporter = (file: string) => Promise<Record<string, unknown>>;

/**
 * A fresh import through tsx: each call sees the file as it is on disk now. The parent URL
 * drops any `?namespace=` query: when this module was itself loaded through tsImport (the dev
 * worker), tsx would otherwise reuse that namespace and hand back the cached module.
 */
export const importFresh: ModuleImporter = (file) =>
  tsImport(pathToFileURL(file).href, import.meta.url.split('?')[0]!) as Promise<Record<string, unknown>>;

const DAG_FILE = /\.(ts|mts|js|mjs)$/;
const NOT_DAG_FILE = /(\.d\.ts|\.test\.ts|\.spec\.ts)$/;

/** The DAG files of a folder, sorted; files and folders starting with `_` or `.` are helpers, not DAGs. */
export async function dagFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && DAG_FILE.test(e.name) && !NOT_DAG_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !relative(dir, f).split(/[\\/]/).some((part) => part.startsWith('_') || part.startsWith('.')))
    .sort();
}

/**
 * Load every DAG file of `dir`. One broken file never hides the others: each problem becomes
 * one error with file:line, and the DAGs that are fine are returned.
 *
 * ```ts
 * const { dags, errors } = await loadDags('dags');
 * for (const e of errors) console.error(formatLoadError(e));
 * ```
 */
export async function loadDags(dir: string, importer: ModuleImporter = importFresh): Promise<DagBag> {
  const root = resolve(dir);
  let files: string[];
  try {
    files = await dagFiles(root);
  } catch (error) {
    return { dags: [], errors: [{ file: root, message: `cannot read the DAG folder: ${(error as Error).message}` }] };
  }
  const bag: DagBag = { dags: [], errors: [] };
  const seen = new Map<string, LoadedDag>();
  for (const file of files) {
    const result = await loadDagFile(file, importer);
    bag.errors.push(...result.errors);
    for (const loaded of result.dags) {
      const first = seen.get(loaded.dag.id);
      if (first) {
        bag.errors.push({
          file,
          line: loaded.dag.location?.line,
          dagId: loaded.dag.id,
          message: `DAG id "${loaded.dag.id}" is already defined in ${where(first.file, first.dag.location?.line)}; DAG ids must be unique across files`,
        });
        continue;
      }
      seen.set(loaded.dag.id, loaded);
      bag.dags.push(loaded);
    }
  }
  return bag;
}

/** Load and validate the DAGs of one file. */
export async function loadDagFile(file: string, importer: ModuleImporter = importFresh): Promise<DagBag> {
  let exports: Record<string, unknown>;
  try {
    exports = await importer(file);
  } catch (error) {
    return { dags: [], errors: [await importError(file, error)] };
  }
  const dags = [...new Set(Object.values(exports).filter(isDag))];
  if (dags.length === 0) {
    return { dags: [], errors: [{ file, message: 'exports no DAG: default-export a `new Dag({...})` or export several as named exports' }] };
  }
  const bag: DagBag = { dags: [], errors: [] };
  for (const dag of dags) {
    const problems = validateDag(dag);
    for (const p of problems) {
      bag.errors.push({ file, dagId: dag.id, line: p.location?.line, column: p.location?.column, message: p.message });
    }
    if (problems.length === 0) bag.dags.push({ dag, file });
  }
  return bag;
}

/** Turn an import failure into file:line: compile errors from esbuild, missing modules, errors thrown at load. */
async function importError(file: string, error: unknown): Promise<DagLoadError> {
  const e = error as Error & { code?: string; errors?: { text: string; location?: { file: string; line: number; column: number } }[] };
  const compile = e.errors?.[0];
  if (compile) {
    return { file, line: compile.location?.line, column: compile.location ? compile.location.column + 1 : undefined, message: `does not compile: ${compile.text}` };
  }
  const compileText = /^(\/[^:\n]+):(\d+):(\d+): ERROR: (.+)$/m.exec(e.message ?? '');
  if (compileText) {
    return { file: compileText[1]!, line: Number(compileText[2]), column: Number(compileText[3]) + 1, message: `does not compile: ${compileText[4]}` };
  }
  if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
    const spec = /Cannot find (?:module|package) '([^']+)'/.exec(e.message)?.[1];
    const line = spec ? await lineOf(file, spec.split('/').pop()!) : undefined;
    return { file, line, message: `imports a module that cannot be found: ${e.message.split('\n')[0]}` };
  }
  const frame = frameIn(e instanceof Error ? mappedStack(e) : '', file);
  return { file, line: frame?.line, column: frame?.column, message: `failed while loading: ${e.message ?? String(error)}` };
}

function frameIn(stack: string, file: string): { line: number; column: number } | undefined {
  for (const m of stack.matchAll(/((?:file:\/\/)?\/[^():\s?]+)(?:\?[^:)]*)?:(\d+):(\d+)/g)) {
    const path = m[1]!.replace(/^file:\/\//, '');
    if (path === file) return { line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

async function lineOf(file: string, needle: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  return index >= 0 ? index + 1 : undefined;
}

function where(file: string, line?: number): string {
  const rel = relative(process.cwd(), file) || file;
  return line ? `${rel}:${line}` : rel;
}

/** `dags/nps.ts:12: DAG "nps": task "load" depends on ...` */
export function formatLoadError(e: DagLoadError): string {
  const pos = e.line ? `:${e.line}${e.column ? `:${e.column}` : ''}` : '';
  return `${relative(process.cwd(), e.file) || e.file}${pos}: ${e.message}`;
}
