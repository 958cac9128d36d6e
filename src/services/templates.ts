import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import type { Ownership } from './ownership.ts';
import { makeSessionDir, removeDir, runCommand } from './processes.ts';
import { ReadinessError } from './wait.ts';
import type { Account } from './processes.ts';

/**
 * A server data directory that is expensive to initialize (initdb ≈ 0.4-0.7 s, mariadb-install-db
 * 0.5-3.5 s on a busy 2-core machine) and cheap to copy (≈ 50 ms): it is built once per installation
 * into the user's cache and copied into each session's temp dir. It holds no usable credential; each
 * session sets its own.
 */
export interface TemplateSpec {
  /** `postgres` or `mysql`; part of the cache directory's name. */
  readonly kind: string;
  /** Everything the template depends on (binary path, version, recipe version); hashed into the name. */
  readonly key: string;
  /** The account that owns the data files (and runs the builder). */
  readonly account?: Account;
  /** Initializes a data directory at `dataDir`, inside `workDir` which belongs to the account. */
  build(dataDir: string, workDir: string): Promise<void>;
}

/** Where templates are cached: DAGBOX_CACHE_DIR, else $XDG_CACHE_HOME/dagbox, else ~/.cache/dagbox. */
export function cacheRoot(): string {
  if (process.env.DAGBOX_CACHE_DIR) return process.env.DAGBOX_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dagbox');
}

/** The cached template's data directory for `spec` (which may not exist yet). */
export function templateDir(spec: Pick<TemplateSpec, 'kind' | 'key'>): string {
  const hash = createHash('sha256').update(spec.key).digest('hex').slice(0, 16);
  return join(cacheRoot(), 'templates', `${spec.kind}-${hash}`, 'data');
}

/**
 * Puts an initialized data directory at `target`: a copy of the cached template, built first if
 * missing. With DAGBOX_NO_TEMPLATE_CACHE=1, or when the cache cannot be written, it is built in place.
 * Returns where the template came from, for messages.
 */
export async function provideDataDir(
  spec: TemplateSpec,
  target: string,
  { ownership, log }: { ownership: Ownership; log: (line: string) => void },
): Promise<{ from: 'cache' | 'built' | 'built-in-place'; template?: string }> {
  if (process.env.DAGBOX_NO_TEMPLATE_CACHE === '1') {
    await spec.build(target, join(target, '..'));
    return { from: 'built-in-place' };
  }
  const template = templateDir(spec);
  let from: 'cache' | 'built' = 'cache';
  if (!existsSync(template)) {
    try {
      await buildTemplate(spec, template, ownership);
      from = 'built';
    } catch (error) {
      log(`${spec.kind}: could not cache an initialized data directory under ${cacheRoot()} (${errorMessage(error)}); initializing in place`);
      await spec.build(target, join(target, '..'));
      return { from: 'built-in-place' };
    }
  }
  await copyTree(template, target, spec.account);
  return { from, template: join(template, '..') };
}

async function buildTemplate(spec: TemplateSpec, template: string, ownership: Ownership): Promise<void> {
  const work = makeSessionDir(`${spec.kind}-template`, spec.account);
  ownership.addDir(work);
  const staging = `${join(template, '..')}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  // Owned like the work dir, so that a start interrupted midway leaves no half-copied template.
  ownership.addDir(staging);
  try {
    await spec.build(join(work, 'data'), work);
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    await copyTree(join(work, 'data'), join(staging, 'data'), spec.account);
    try {
      renameSync(staging, join(template, '..'));
    } catch (error) {
      // Another session built the same template meanwhile: keep theirs.
      if (!existsSync(template)) throw error;
    }
  } finally {
    await removeDir(staging);
    ownership.removeDir(staging);
    await removeDir(work);
    ownership.removeDir(work);
  }
}

/** `cp -a` (keeps modes, which Postgres checks), then gives the copy to `account` if someone else owns it. */
async function copyTree(from: string, to: string, account: Account | undefined): Promise<void> {
  try {
    await runCommand('cp', ['-a', from, to], { timeoutMs: 60_000 });
  } catch (error) {
    // cp says "No space left on device" once per file; once is enough, with the room needed.
    if (!/No space left on device/.test(errorMessage(error))) throw error;
    const mb = await runCommand('du', ['-sm', from], { timeoutMs: 60_000 }).then((out) => `${out.split(/\s/)[0]} MB`, () => 'its size');
    throw new Error(`No space left on device in ${join(to, '..')} while copying the data directory template ${from} (${mb}); free some space or point TMPDIR at a folder with more room.`, { cause: error });
  }
  if (account && statSync(to).uid !== account.uid) {
    await runCommand('chown', ['-R', `${account.uid}:${account.gid}`, to], { timeoutMs: 60_000 });
  }
}

/**
 * Adds to a readiness error that the data directory came from the cached template, and how to make
 * dagbox rebuild it, should a damaged cache be the cause. Other errors pass through unchanged.
 */
export function withTemplateHint(error: unknown, template: string | undefined): unknown {
  if (!template || !(error instanceof ReadinessError)) return error;
  error.message += `\nThe data directory was copied from the cached template ${template}; if this keeps happening, remove that directory and dagbox will rebuild it.`;
  return error;
}
