import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s*['"]([^'"]+)['"]/g;
/** A file a module reads by its own URL: `new URL('sql/x.sql', import.meta.url)`. */
const FILE_URL = /new\s+URL\(\s*(['"`])([^'"`$]+)\1\s*,\s*import\.meta\.url\s*\)/g;
/** Files whose imports are followed; anything else (a .sql, a .json) is a leaf. */
const CODE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

/**
 * Which local modules each DAG file imports, transitively, so a save of a helper module
 * re-runs exactly the DAGs that reach it (Vite's module graph, walked with a `seen` set).
 */
export class ModuleGraph {
  /** module -> the modules that import it */
  private readonly importers = new Map<string, Set<string>>();
  private readonly imports = new Map<string, Set<string>>();

  /** Read `file` and (re)record its local imports, following them into files not seen yet. */
  async update(file: string, seen = new Set<string>()): Promise<void> {
    if (seen.has(file)) return;
    seen.add(file);
    for (const old of this.imports.get(file) ?? []) this.importers.get(old)?.delete(file);
    const text = CODE.test(file) ? await readFile(file, 'utf8').catch(() => null) : null;
    const deps = new Set(text === null ? [] : [...localImports(file, text), ...readFiles(file, text)]);
    this.imports.set(file, deps);
    for (const dep of deps) {
      if (!this.importers.has(dep)) this.importers.set(dep, new Set());
      this.importers.get(dep)!.add(file);
      if (!this.imports.has(dep)) await this.update(dep, seen);
    }
  }

  /** Forget a deleted file's own imports. */
  remove(file: string): void {
    for (const dep of this.imports.get(file) ?? []) this.importers.get(dep)?.delete(file);
    this.imports.delete(file);
  }

  /** Every file the graph knows: modules and the files they read. */
  files(): string[] {
    return [...new Set([...this.imports.keys(), ...this.importers.keys()])];
  }

  /** `file` and every module that imports it (or reads it by URL), directly or not. */
  affected(file: string): Set<string> {
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const importer of this.importers.get(f) ?? []) walk(importer);
    };
    walk(file);
    return seen;
  }
}

/** Relative import specifiers of a module, resolved to absolute paths. */
export function localImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec && (spec.startsWith('./') || spec.startsWith('../'))) out.push(resolveModule(resolve(dirname(file), spec)));
  }
  return out;
}

/**
 * Files a module reads through its own URL (`new URL('sql/x.sql', import.meta.url)`), resolved
 * to absolute paths: a save of one re-runs the DAGs that read it, as a save of an import does.
 */
export function readFiles(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(FILE_URL)) {
    const spec = m[2]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(spec) || spec.startsWith('/')) continue;
    out.push(resolve(dirname(file), spec));
  }
  return out;
}

/** The file an import names, as tsx resolves it: `./x.js` may be `./x.ts`, `./x` may be `./x.ts` or `./x/index.ts`. */
function resolveModule(path: string): string {
  const candidates = [path, path.replace(/\.(m?)js$/, '.$1ts'), `${path}.ts`, `${path}/index.ts`];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile()) ?? path;
}
