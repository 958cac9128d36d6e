import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dagboxImport, repoRoot, tempProject } from './project.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `dagbox ARGS` as a real process (bin/dagbox.js through tsx), colors off. */
export function dagbox(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/dagbox.js'), ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A temp project holding a copy of the example DAGs of dags/, importing this checkout's dagbox. */
export function exampleProject(extra: Record<string, string> = {}) {
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(repoRoot, 'dags'))) {
    files[`dags/${name}`] = readFileSync(join(repoRoot, 'dags', name), 'utf8').replaceAll("from 'dagbox'", `from '${dagboxImport}'`);
  }
  return tempProject({ ...files, ...extra });
}
