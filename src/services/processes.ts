import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** An unprivileged account that servers run as when dagbox runs as root (Postgres refuses root). */
export interface Account {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

/** How a server process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A server started by {@link spawnServer}: output goes to a log file, and `stop` ends it for sure. */
export interface ServerProcess {
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  /** Resolves when the process has ended. */
  readonly exited: Promise<ProcessExit>;
  /** How it ended, or undefined while it runs. */
  exitInfo(): ProcessExit | undefined;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** Sends the stop signal, then SIGKILL after `timeoutMs`; resolves when the process has ended. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  /** Short name for messages: `postgres`, `mariadbd`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Created (truncated) by the parent, written by the child: no pipe keeps the parent alive. */
  readonly logFile: string;
  readonly account?: Account;
  readonly env?: NodeJS.ProcessEnv;
  /** Signal that asks for a quick orderly shutdown (Postgres: SIGINT, "fast" mode). Default SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
}

/**
 * The account servers must run as: none (run as ourselves) unless dagbox runs as root, then
 * `DAGBOX_SERVER_USER` or `nobody` from /etc/passwd.
 */
export function serverAccount(): Account | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const wanted = process.env.DAGBOX_SERVER_USER || 'nobody';
  const account = lookupAccount(wanted);
  if (!account) {
    throw new Error(
      `dagbox runs as root and Postgres and MySQL refuse to, so it runs them as the unprivileged user "${wanted}", ` +
        `which is not in /etc/passwd. Create one (useradd --system ${wanted}), set DAGBOX_SERVER_USER to an existing ` +
        'unprivileged user, or run dagbox as a normal user.',
    );
  }
  return account;
}

function lookupAccount(user: string): Account | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid && gid) return { user, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * A new private directory `<tmpdir>/dagbox-<kind>-XXXXXX` owned by `account` (when given), so the
 * server can write its data, socket and log there.
 */
export function makeSessionDir(kind: string, account?: Account): string {
  const dir = mkdtempSync(join(tmpdir(), `dagbox-${kind}-`));
  if (account) chownSync(dir, account.uid, account.gid);
  return dir;
}

/** Removes a directory tree; retries while a dying server may still be writing into it. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** Synchronous {@link removeDir}, for the process 'exit' handler. */
export function removeDirSync(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
  } catch {
    // Last-chance cleanup at exit: the next session's reaper retries what is left.
  }
}

/** Gives a file or directory to `account` (no-op without one). */
export function giveTo(path: string, account?: Account): void {
  if (account) chownSync(path, account.uid, account.gid);
}

/**
 * Directories to look for server binaries in: PATH first (it is the user's choice), then `dirs`, where
 * one path component may contain `*` (expanded newest version first).
 */
export function searchDirs(dirs: readonly string[]): string[] {
  const all = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...dirs.flatMap(expandGlobDir)];
  return [...new Set(all)];
}

/** The first executable named one of `names` in {@link searchDirs}(`dirs`). */
export function findExecutable(names: readonly string[], dirs: readonly string[]): string | undefined {
  for (const dir of searchDirs(dirs)) {
    for (const name of names) {
      const path = join(dir, name);
      if (isExecutable(path)) return path;
    }
  }
  return undefined;
}

/** Whether `path` exists and may be executed. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `/usr/lib/postgresql/*\/bin` expanded to existing directories, highest version first. */
export function expandGlobDir(pattern: string): string[] {
  const star = pattern.indexOf('*');
  if (star < 0) return [pattern];
  const parent = pattern.slice(0, pattern.lastIndexOf('/', star));
  const rest = pattern.slice(pattern.indexOf('/', star) === -1 ? pattern.length : pattern.indexOf('/', star));
  const prefix = pattern.slice(parent.length + 1, star);
  let entries: string[];
  try {
    entries = readdirSync(parent).filter((e) => e.startsWith(prefix));
  } catch {
    return [];
  }
  return entries
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    .map((e) => `${parent}/${e}${rest}`);
}

/** Runs a command to completion (initdb, mariadb-install-db, --version) and returns its output. */
export function runCommand(
  command: string,
  args: readonly string[],
  { cwd, account, env, timeoutMs = 60_000 }: { cwd?: string; account?: Account; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: env ?? serverEnv(cwd), uid: account?.uid, gid: account?.gid, timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (!error) return resolve(output);
        const tail = output.trim().split('\n').slice(-15).join('\n');
        const as = account ? ` as user ${account.user}` : '';
        reject(
          new Error(
            `${command} ${args.join(' ')} failed${as} (${error.killed ? `killed after ${timeoutMs}ms` : `exit code ${error.code}`}):\n${tail}`,
            { cause: error },
          ),
        );
      },
    );
  });
}

/** A small, predictable environment for servers: PATH, C locale, UTC, HOME in their own dir. */
export function serverEnv(home?: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', TZ: 'UTC', ...(home ? { HOME: home } : {}) };
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutable);

/**
 * Starts a long-running server. It runs in its own process group (Ctrl-C reaches dagbox, which then
 * stops it in order), does not keep the event loop alive, and on Linux gets SIGKILL if dagbox dies
 * (util-linux `setpriv --pdeathsig`), so even `kill -9` of dagbox leaves no server behind.
 */
export function spawnServer(opts: SpawnServerOptions): ServerProcess {
  const logFd = openSync(opts.logFile, 'w', 0o644);
  let child: ChildProcess;
  try {
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', opts.command, ...opts.args]]
      : [opts.command, [...opts.args]];
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? serverEnv(opts.cwd),
      stdio: ['ignore', logFd, logFd],
      detached: true,
      uid: opts.account?.uid,
      gid: opts.account?.gid,
    });
  } finally {
    closeSync(logFd);
  }
  if (child.pid === undefined) {
    throw new Error(`Could not start ${opts.name} (${opts.command}): the process did not get a pid. Check that the binary runs.`);
  }
  child.unref();
  return toServerProcess(child, child.pid, opts);
}

function toServerProcess(child: ChildProcess, pid: number, opts: SpawnServerOptions): ServerProcess {
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve((exit = { code, signal })));
    child.once('error', () => resolve((exit = exit ?? { code: null, signal: null })));
  });
  const logTail = (lines = 20) => readTail(opts.logFile, lines);
  const stop = async (timeoutMs = 5_000) => {
    if (exit) return;
    signal(pid, opts.stopSignal ?? 'SIGTERM');
    if (await endsWithin(exited, timeoutMs)) return;
    signal(pid, 'SIGKILL');
    if (!(await endsWithin(exited, 5_000))) {
      throw new Error(`${opts.name} (pid ${pid}) did not end within 5000ms of SIGKILL; it may be stuck in the kernel.`);
    }
  };
  return { pid, name: opts.name, logFile: opts.logFile, exited, exitInfo: () => exit, logTail, stop };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

async function endsWithin(exited: Promise<ProcessExit>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([exited.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines of a file, or '' when it cannot be read. */
export function readTail(file: string, lines = 20): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Whether `pid` names a live process (a zombie counts as dead). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

/** The kernel's start time of `pid` (clock ticks since boot), which tells a reused pid apart; null off Linux. */
export function processStartTime(pid: number): number | null {
  const fields = procStatFields(pid);
  return fields ? Number(fields[19]) : null;
}

function processState(pid: number): string | null {
  return procStatFields(pid)?.[0] ?? null;
}

// /proc/<pid>/stat: "pid (comm) state ppid ...": split after the last ')' since comm may hold spaces.
function procStatFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The command line of `pid` ('' when unknown), to check that a recorded pid is still the same server. */
export function processCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
