import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ServiceKind } from './types.ts';

/**
 * Room a local server needs in the temp folder: its data directory copied from the template
 * (MariaDB ≈ 26 MB, Postgres ≈ 39 MB), its logs and WAL while it runs, and some fixture data.
 */
export const LOCAL_SERVER_MB: Readonly<Partial<Record<ServiceKind, number>>> = { mysql: 96, postgres: 128 };

const MB = 1024 * 1024;

/** Thrown before any server starts when the temp folder cannot hold them. */
export class TempSpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TempSpaceError';
  }
}

/**
 * Fails once, before anything is written, when the temp folder (TMPDIR) has less free room than
 * the local servers about to start need, saying how much they need and where to find it. A folder
 * whose free space cannot be read passes (the servers' own errors then speak).
 */
export function assertTempSpace(kinds: readonly ServiceKind[], dir = tmpdir()): void {
  const needs = kinds.flatMap((k) => (LOCAL_SERVER_MB[k] ? [[k, LOCAL_SERVER_MB[k]] as const] : []));
  if (needs.length === 0) return;
  let freeMb: number;
  try {
    const fs = statfsSync(dir);
    freeMb = Math.floor((fs.bavail * fs.bsize) / MB);
  } catch {
    return;
  }
  const total = needs.reduce((sum, [, mb]) => sum + mb, 0);
  if (freeMb >= total) return;
  const each = needs.map(([k, mb]) => `${k === 'mysql' ? 'MySQL' : 'Postgres'} ${mb} MB`).join(', ');
  throw new TempSpaceError(
    `The temp folder ${dir} has ${freeMb} MB free, but dagbox's local servers need about ${total} MB there (${each}), plus room for the data your fixtures and DAGs write. ` +
      'Free some space there, point TMPDIR at a folder with more room (TMPDIR=/var/tmp npx dagbox ...), or use servers you run (--services external).',
  );
}
