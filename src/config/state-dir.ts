import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The project's state folder (run history, service records, reports): `--state-dir`, else
 * DAGBOX_STATE_DIR, else `stateDir` in dagbox.config.ts, else `.dagbox`; relative to the project.
 */
export function stateDirOf(cwd: string, fromFlag: string | undefined, fromConfig: string | undefined): string {
  return resolve(cwd, fromFlag || process.env.DAGBOX_STATE_DIR || fromConfig || '.dagbox');
}

/** Thrown when the state folder cannot be written; says where and how to put it elsewhere. */
export class StateDirError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateDirError';
  }
}

const WHY: Record<string, string> = {
  EROFS: 'it is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'a folder on its path cannot be created',
  ENOTDIR: 'a file is in the way',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
};

/**
 * Make `<dir>/<sub>` (and `dir`) and prove it writable by writing a probe file, before anything
 * else happens (no server started, no temp dir made). Fails with a {@link StateDirError} that
 * names the folder, the reason and the way out: a state folder elsewhere.
 *
 * ```ts
 * ensureStateDir('/repo/.dagbox', 'services'); // throws on a read-only checkout
 * ```
 */
export function ensureStateDir(dir: string, sub = ''): void {
  const target = sub ? join(dir, sub) : dir;
  const probe = join(target, `.write-probe-${process.pid}`);
  try {
    mkdirSync(target, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (error) {
    const code = realCode(target, (error as NodeJS.ErrnoException).code ?? '');
    throw new StateDirError(
      `dagbox keeps its state (run history, service records, reports) in ${dir}, but cannot write there: ${WHY[code] ?? (error as Error).message}${code ? ` (${code})` : ''}. ` +
        'Put it in a writable folder with --state-dir DIR or DAGBOX_STATE_DIR=DIR (or `stateDir` in dagbox.config.ts), e.g. DAGBOX_STATE_DIR=/tmp/dagbox-state.',
      { cause: error },
    );
  }
}

/**
 * mkdir -p on a read-only file system says ENOENT; the nearest folder that exists tells the truth
 * (EROFS, EACCES).
 */
function realCode(target: string, code: string): string {
  if (code !== 'ENOENT') return code;
  let dir = target;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return code;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? code;
  }
}
