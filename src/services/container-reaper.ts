import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { hostname } from 'node:os';
import { errorMessage } from '../shared/errors.ts';
import { isProcessAlive, processStartTime } from './processes.ts';

/** Labels every dagbox container carries, so that dagbox can find its own and tell whether their owner lives. */
export const CONTAINER_LABELS = {
  session: 'dev.dagbox.session',
  ownerPid: 'dev.dagbox.owner-pid',
  /** The owner's kernel start time, which tells a reused pid apart. */
  ownerStart: 'dev.dagbox.owner-start',
  /** Host name and pid namespace of the owner: a pid means something only there. */
  ownerHost: 'dev.dagbox.owner-host',
} as const;

/** Where a container engine's API answers: a unix socket, or host and port (plain HTTP). */
export interface EngineAddress {
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
}

/** The labels of a container owned by `session` of this process. */
export function ownerLabels(session: string): Record<string, string> {
  return {
    [CONTAINER_LABELS.session]: session,
    [CONTAINER_LABELS.ownerPid]: String(process.pid),
    [CONTAINER_LABELS.ownerStart]: String(processStartTime(process.pid) ?? ''),
    [CONTAINER_LABELS.ownerHost]: ownerHost(),
  };
}

/** This machine's name and this process's pid namespace (`host pid:[4026531836]`). */
export function ownerHost(): string {
  let namespace = '';
  try {
    namespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    // Off Linux there is no pid namespace to tell apart.
  }
  return `${hostname()} ${namespace}`.trim();
}

/** Whether the process a container's labels name as its owner still runs (and is the same process). */
export function ownerAlive(labels: Readonly<Record<string, string>>): boolean {
  const pid = Number(labels[CONTAINER_LABELS.ownerPid]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return false;
  const recorded = labels[CONTAINER_LABELS.ownerStart];
  const now = processStartTime(pid);
  return !recorded || now === null || String(now) === recorded;
}

/** The API address of the engine behind a dockerode instance (testcontainers' client). */
export function engineAddress(dockerode: { modem?: unknown }): EngineAddress {
  const modem = (dockerode.modem ?? {}) as { socketPath?: unknown; host?: unknown; port?: unknown };
  if (typeof modem.socketPath === 'string') return { socketPath: modem.socketPath };
  return { host: typeof modem.host === 'string' ? modem.host : '127.0.0.1', port: Number(modem.port) || 2375 };
}

/** A container listed by the engine, as far as reaping goes. */
interface ListedContainer {
  Id: string;
  Names?: string[];
  Labels?: Record<string, string>;
}

/** The minimal dockerode surface the reaper uses. */
export interface ReaperDocker {
  listContainers(opts: { all: boolean; filters: { label: string[] } }): Promise<ListedContainer[]>;
  getContainer(id: string): { remove(opts: { force: boolean; v: boolean }): Promise<unknown> };
}

/**
 * Removes the containers that dagbox sessions on this machine (same host name and pid namespace) left
 * behind when they were killed without stopping them: those whose owner process is gone. Containers of
 * live sessions, and of other machines using the same engine, are left alone. Returns how many it removed.
 */
export async function reapOrphanContainers(docker: ReaperDocker, log: (line: string) => void): Promise<number> {
  const here = ownerHost();
  const listed = await docker.listContainers({ all: true, filters: { label: [CONTAINER_LABELS.ownerPid] } });
  const orphans = listed.filter((c) => c.Labels?.[CONTAINER_LABELS.ownerHost] === here && !ownerAlive(c.Labels ?? {}));
  const bySession = new Map<string, string[]>();
  let removed = 0;
  for (const c of orphans) {
    const labels = c.Labels ?? {};
    const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
    try {
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      removed++;
      const key = `${labels[CONTAINER_LABELS.session]} (pid ${labels[CONTAINER_LABELS.ownerPid]})`;
      bySession.set(key, [...(bySession.get(key) ?? []), name]);
    } catch (error) {
      log(`could not remove container ${name}, left by a dagbox session that ended without stopping it: ${errorMessage(error)}`);
    }
  }
  for (const [session, names] of bySession) {
    log(`removed ${names.length} container(s) of session ${session}, which ended without stopping them: ${names.join(', ')}`);
  }
  return removed;
}

/** Removes a container through the engine's API; resolves `gone` when it no longer exists. */
export function removeContainer(engine: EngineAddress, id: string, timeoutMs = 15_000): Promise<'removed' | 'gone'> {
  return new Promise((resolve, reject) => {
    const req = request(
      { ...engine, method: 'DELETE', path: `/containers/${encodeURIComponent(id)}?force=true&v=true`, timeout: timeoutMs },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status === 404) resolve('gone');
        else if (status >= 200 && status < 300) resolve('removed');
        else reject(new Error(`the engine answered HTTP ${status} to removing container ${id}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the engine did not answer within ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Removes containers synchronously, for the process 'exit' handler where nothing asynchronous runs:
 * a child Node process makes the API calls while this one waits (at most `timeoutMs`). Best effort:
 * what it cannot remove, the next dagbox start does.
 */
export function removeContainersSync(containers: ReadonlyArray<{ id: string; engine: EngineAddress }>, timeoutMs = 20_000): void {
  if (containers.length === 0) return;
  const script = `
    const http = require('node:http');
    const list = JSON.parse(process.argv[1]);
    let left = list.length;
    for (const c of list) {
      const req = http.request({ ...c.engine, method: 'DELETE', path: '/containers/' + encodeURIComponent(c.id) + '?force=true&v=true' }, (res) => { res.resume(); if (--left === 0) process.exit(0); });
      req.on('error', () => { if (--left === 0) process.exit(0); });
      req.end();
    }`;
  spawnSync(process.execPath, ['-e', script, JSON.stringify(containers)], { stdio: 'ignore', timeout: timeoutMs });
}
