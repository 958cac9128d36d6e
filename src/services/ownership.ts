import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceKind } from './types.ts';
import { errorMessage } from '../shared/errors.ts';
import { removeContainer, removeContainersSync } from './container-reaper.ts';
import type { EngineAddress } from './container-reaper.ts';
import { isProcessAlive, processCommandLine, processStartTime, removeDir, removeDirSync } from './processes.ts';

/** A server process a session started. `marker` is a path in its command line (its temp dir). */
export interface OwnedProcess {
  readonly pid: number;
  readonly name: string;
  readonly startTime: number | null;
  readonly marker: string;
}

/** A database or bucket a session created on a server the user runs. No credentials are recorded. */
export interface OwnedExternal {
  readonly kind: ServiceKind;
  /** `host:port` of the server (for s3, of the endpoint). */
  readonly endpoint: string;
  /** Database or bucket name. */
  readonly name: string;
}

/** A container a session started, and the engine to remove it through. */
export interface OwnedContainer {
  readonly id: string;
  readonly name: string;
  readonly engine: EngineAddress;
}

/** What `<stateDir>/services/<pid>-<session>.json` holds. */
export interface OwnershipRecord {
  readonly version: 1;
  readonly session: string;
  readonly owner: { readonly pid: number; readonly startTime: number | null };
  readonly createdAt: string;
  readonly processes: OwnedProcess[];
  readonly dirs: string[];
  readonly externals: OwnedExternal[];
  /** Absent in records written before dagbox reaped containers itself. */
  readonly containers?: OwnedContainer[];
}

/**
 * The on-disk record of what one session owns, rewritten on every change (atomically), so that if the
 * session is killed with SIGKILL the next `startServices` can kill its servers and remove its dirs.
 * The file disappears when the session owns nothing any more.
 */
export class Ownership {
  readonly file: string;
  private readonly record: OwnershipRecord;

  constructor(stateDir: string, readonly session: string) {
    this.file = join(recordsDir(stateDir), `${process.pid}-${session}.json`);
    this.record = {
      version: 1,
      session,
      owner: { pid: process.pid, startTime: processStartTime(process.pid) },
      createdAt: new Date().toISOString(),
      processes: [],
      dirs: [],
      externals: [],
      containers: [],
    };
  }

  /** A copy of the current record. */
  snapshot(): OwnershipRecord {
    return structuredClone(this.record);
  }

  addDir(dir: string): void {
    this.record.dirs.push(dir);
    this.save();
  }

  removeDir(dir: string): void {
    remove(this.record.dirs, (d) => d === dir);
    this.save();
  }

  addProcess(pid: number, name: string, marker: string): void {
    this.record.processes.push({ pid, name, marker, startTime: processStartTime(pid) });
    this.save();
  }

  removeProcess(pid: number): void {
    remove(this.record.processes, (p) => p.pid === pid);
    this.save();
  }

  addContainer(container: OwnedContainer): void {
    this.containers.push(container);
    this.save();
  }

  removeContainer(id: string): void {
    remove(this.containers, (c) => c.id === id);
    this.save();
  }

  addExternal(external: OwnedExternal): void {
    this.record.externals.push(external);
    this.save();
  }

  removeExternal(external: OwnedExternal): void {
    remove(this.record.externals, (e) => sameExternal(e, external));
    this.save();
  }

  /**
   * Last-resort cleanup for the process 'exit' handler, where nothing asynchronous runs: SIGKILL the
   * servers, remove the containers (through a child process) and the dirs. External databases cannot be dropped synchronously; they stay in the
   * record, and the next session that uses the same server drops them.
   */
  killAllSync(): void {
    for (const p of this.record.processes) killIfOurs(p);
    removeContainersSync(this.containers);
    for (const dir of this.record.dirs) removeDirSync(dir);
    this.record.processes.length = 0;
    this.record.dirs.length = 0;
    this.containers.length = 0;
    this.save();
  }

  private get containers(): OwnedContainer[] {
    return this.record.containers as OwnedContainer[];
  }

  private save(): void {
    const empty = isEmpty(this.record);
    if (empty) {
      rmSync(this.file, { force: true });
      return;
    }
    mkdirSync(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.record, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** Databases and buckets that dead sessions left on external servers, for the external providers to drop. */
export class Leftovers {
  constructor(private readonly entries: Array<{ file: string; external: OwnedExternal }> = []) {}

  /** Leftovers of `kind` on the server at `endpoint` (`host:port`). */
  on(kind: ServiceKind, endpoint: string): OwnedExternal[] {
    return this.entries.filter((e) => e.external.kind === kind && e.external.endpoint === endpoint).map((e) => e.external);
  }

  /** Removes a dropped leftover from its record (and the record, once it is empty). */
  forget(external: OwnedExternal): void {
    for (const entry of this.entries.filter((e) => sameExternal(e.external, external))) {
      rewriteRecord(entry.file, (r) => ({ ...r, externals: r.externals.filter((x) => !sameExternal(x, external)) }));
    }
    remove(this.entries, (e) => sameExternal(e.external, external));
  }
}

/** What {@link reapStale} did. */
export interface ReapReport {
  readonly sessions: string[];
  readonly killed: OwnedProcess[];
  readonly removedDirs: string[];
  readonly removedContainers: string[];
  readonly leftovers: Leftovers;
}

/**
 * Cleans up after sessions that died without stopping their services (SIGKILL, power loss): for each
 * record under `<stateDir>/services/` whose owner process is gone, kills its servers that are still
 * alive and are still the same processes (same start time, or the session dir in their command line),
 * and removes its temp dirs. Records of live sessions are left alone.
 */
export async function reapStale(stateDir: string, log: (line: string) => void = () => {}): Promise<ReapReport> {
  const sessions: string[] = [];
  const killed: OwnedProcess[] = [];
  const removedDirs: string[] = [];
  const removedContainers: string[] = [];
  const leftovers: Array<{ file: string; external: OwnedExternal }> = [];
  for (const file of recordFiles(stateDir)) {
    const record = readRecord(file, log);
    if (!record || ownerAlive(record)) continue;
    const gone = await killStaleProcesses(record.processes);
    const { removed, kept } = await removeStaleContainers(record.containers ?? [], log);
    for (const dir of record.dirs) await removeDir(dir);
    rewriteRecord(file, (r) => ({ ...r, processes: [], dirs: [], containers: kept }));
    removedContainers.push(...removed.map((c) => c.name));
    leftovers.push(...record.externals.map((external) => ({ file, external })));
    sessions.push(record.session);
    killed.push(...gone);
    removedDirs.push(...record.dirs);
    log(
      `cleaned up after session ${record.session} (pid ${record.owner.pid}), which ended without stopping its services: ` +
        `killed ${gone.length} process(es), removed ${record.dirs.length} dir(s)` +
        (removed.length ? `, removed ${removed.length} container(s)` : '') +
        (record.externals.length ? `; ${record.externals.length} external database(s)/bucket(s) will be dropped when that server is used again` : ''),
    );
  }
  return { sessions, killed, removedDirs, removedContainers, leftovers: new Leftovers(leftovers) };
}

/** `<stateDir>/services`. */
export function recordsDir(stateDir: string): string {
  return join(stateDir, 'services');
}

function recordFiles(stateDir: string): string[] {
  try {
    return readdirSync(recordsDir(stateDir))
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(recordsDir(stateDir), f));
  } catch {
    return [];
  }
}

function readRecord(file: string, log: (line: string) => void): OwnershipRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as OwnershipRecord;
    if (record.version !== 1 || !record.owner) throw new Error('it is not a version 1 dagbox ownership record');
    return record;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    log(`ignoring ${file}: ${errorMessage(error)}. Remove it by hand once no dagbox session is running.`);
    return undefined;
  }
}

function ownerAlive(record: OwnershipRecord): boolean {
  const { pid, startTime } = record.owner;
  if (!isProcessAlive(pid)) return false;
  const now = processStartTime(pid);
  return startTime === null || now === null || now === startTime;
}

/** Whether the live process `p.pid` is still the server we recorded, not a later process that got its pid. */
function isOurs(p: OwnedProcess): boolean {
  if (!isProcessAlive(p.pid)) return false;
  const now = processStartTime(p.pid);
  if (p.startTime !== null && now !== null) return now === p.startTime;
  return processCommandLine(p.pid).includes(p.marker);
}

function killIfOurs(p: OwnedProcess): boolean {
  if (!isOurs(p)) return false;
  try {
    process.kill(p.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

async function killStaleProcesses(processes: readonly OwnedProcess[]): Promise<OwnedProcess[]> {
  const killed = processes.filter(killIfOurs);
  const deadline = Date.now() + 3_000;
  while (killed.some((p) => isProcessAlive(p.pid)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return killed;
}

function rewriteRecord(file: string, change: (r: OwnershipRecord) => OwnershipRecord): void {
  let record: OwnershipRecord;
  try {
    record = JSON.parse(readFileSync(file, 'utf8')) as OwnershipRecord;
  } catch {
    return;
  }
  const next = change(record);
  if (isEmpty(next)) {
    rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * Removes a dead session's containers through the engine each was started on; those the engine cannot
 * remove now (it does not answer) stay recorded for a later start.
 */
async function removeStaleContainers(containers: readonly OwnedContainer[], log: (line: string) => void): Promise<{ removed: OwnedContainer[]; kept: OwnedContainer[] }> {
  const removed: OwnedContainer[] = [];
  const kept: OwnedContainer[] = [];
  for (const c of containers) {
    try {
      if ((await removeContainer(c.engine, c.id, 10_000)) === 'removed') removed.push(c);
    } catch (error) {
      kept.push(c);
      log(`could not remove container ${c.name} now (${errorMessage(error)}); a later dagbox start tries again.`);
    }
  }
  return { removed, kept };
}

function isEmpty(r: OwnershipRecord): boolean {
  return !r.processes.length && !r.dirs.length && !r.externals.length && !(r.containers ?? []).length;
}

function sameExternal(a: OwnedExternal, b: OwnedExternal): boolean {
  return a.kind === b.kind && a.endpoint === b.endpoint && a.name === b.name;
}

function remove<T>(list: T[], match: (item: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (match(list[i] as T)) list.splice(i, 1);
}
