import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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

/**
 * A temp copy of this repo's project files — dags/ (importing this checkout's dagbox by URL),
 * fixtures/ and dagbox.config.ts — plus `extra` files.
 */
export function exampleProject(extra: Record<string, string> = {}) {
  const files: Record<string, string> = {};
  for (const dir of ['dags', 'fixtures']) {
    if (!existsSync(join(repoRoot, dir))) continue;
    for (const e of readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      const text = readFileSync(path, 'utf8');
      files[relative(repoRoot, path)] = dir === 'dags' ? text.replaceAll("from 'dagbox'", `from '${dagboxImport}'`) : text;
    }
  }
  const config = join(repoRoot, 'dagbox.config.ts');
  if (existsSync(config)) files['dagbox.config.ts'] = readFileSync(config, 'utf8').replaceAll("from 'dagbox'", `from '${dagboxImport}'`);
  return tempProject({ ...files, ...extra });
}

/**
 * Stop a spawned dagbox the way a user would (SIGTERM, so it stops its services and removes their
 * dirs), and kill it outright only if it is still alive after `graceMs`.
 */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => (clearTimeout(timer), resolve(code)));
    child.kill('SIGTERM');
  });
}
