import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repo root, for spawning the CLI and copying example DAGs. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `import { Dag } from '<this>'` works from any temp folder, where the bare `dagbox` would not resolve. */
export const dagboxImport = pathToFileURL(join(repoRoot, 'src/index.ts')).href;

/**
 * A throwaway ESM project folder in the OS temp dir with the given files
 * (`{ 'dags/a.ts': '...' }`); `DAGBOX` in a file's text becomes the import URL of dagbox.
 * Dispose it (`using p = tempProject(...)`) or call `remove()`.
 */
export function tempProject(files: Record<string, string>): { dir: string; write(path: string, text: string): void; remove(): void; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dagbox-test-'));
  const write = (path: string, text: string) => {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text.replaceAll('DAGBOX', dagboxImport));
  };
  write('package.json', JSON.stringify({ type: 'module' }));
  for (const [path, text] of Object.entries(files)) write(path, text);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  return { dir, write, remove, [Symbol.dispose]: remove };
}
