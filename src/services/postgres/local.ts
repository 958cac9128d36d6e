import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStartedService, Teardown } from '../handle.ts';
import { generatePassword } from '../mask.ts';
import { LOOPBACK, withPortRetry } from '../ports.ts';
import { giveTo, isExecutable, makeSessionDir, removeDir, runCommand, searchDirs, serverAccount, spawnServer } from '../processes.ts';
import type { Account } from '../processes.ts';
import { provideDataDir } from '../templates.ts';
import type { TemplateSpec } from '../templates.ts';
import type { Availability, LocalStartOptions, ProviderContext, StartedService } from '../types.ts';
import { superviseServer } from '../supervise.ts';
import { Wait } from '../wait.ts';
import { postgresAdapter } from './adapter.ts';
import { postgresProbe, withPostgresClient } from './client.ts';

/** Where Postgres server binaries usually live, besides PATH (Debian/Ubuntu, source builds, Homebrew, RHEL). */
export const POSTGRES_DIRS = [
  '/usr/lib/postgresql/*/bin',
  '/usr/local/pgsql/bin',
  '/opt/homebrew/opt/postgresql@*/bin',
  '/usr/local/opt/postgresql@*/bin',
  '/usr/pgsql-*/bin',
];

/** The user and database of a local server. */
const USER = 'dagbox';
const DATABASE = 'dagbox';

/** `initdb` and `postgres` from one installation, and its version. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly major: number;
  /** `postgres --version` output, e.g. `postgres (PostgreSQL) 15.19 (Debian 15.19-0+deb12u1)`. */
  readonly version: string;
}

/** The first installed Postgres (PATH, then the usual places, newest first) whose `initdb` and `postgres` sit side by side. */
export async function findPostgresBinaries(): Promise<PostgresBinaries | undefined> {
  for (const dir of searchDirs(POSTGRES_DIRS)) {
    const initdb = join(dir, 'initdb');
    const postgres = join(dir, 'postgres');
    if (isExecutable(initdb) && isExecutable(postgres)) {
      const version = (await runCommand(postgres, ['--version'], { timeoutMs: 10_000 })).trim();
      const major = Number(/\(PostgreSQL\)\s+(\d+)/.exec(version)?.[1] ?? 0);
      return { initdb, postgres, major, version };
    }
  }
  return undefined;
}

/** Whether a local Postgres can be started here, and with what. */
export async function postgresLocalAvailability(): Promise<Availability> {
  const bins = await findPostgresBinaries();
  return bins
    ? { ok: true, detail: `initdb+postgres ${bins.major}` }
    : { ok: false, reason: `no initdb and postgres found on PATH or in ${POSTGRES_DIRS.join(', ')}` };
}

/**
 * Starts a throwaway Postgres on 127.0.0.1 and a random free port, its data and socket in a temp dir,
 * with fsync, full_page_writes and synchronous_commit off. The data directory is a copy of one made
 * once by `initdb` and cached (templates.ts); user `dagbox` gets a password generated for the session,
 * required on TCP (scram); the socket, in the private temp dir, trusts. As root, the server runs as an
 * unprivileged user.
 *
 * ```ts
 * await using pg = await startLocalPostgres(ctx);
 * pg.getConnectionUri(); // postgres://dagbox:...@127.0.0.1:54321/dagbox
 * ```
 */
export async function startLocalPostgres(ctx: ProviderContext, opts: LocalStartOptions = {}): Promise<StartedService> {
  const started = performance.now();
  const bins = await findPostgresBinaries();
  if (!bins) {
    throw new Error(
      `postgres: the local provider needs initdb and postgres, which were not found on PATH or in ${POSTGRES_DIRS.join(', ')}. ` +
        'Install them (apt-get install postgresql), or use another provider.',
    );
  }
  const account = serverAccount();
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const dir = makeSessionDir('postgres', account);
    ctx.ownership.addDir(dir);
    teardown.add(async () => {
      await removeDir(dir);
      ctx.ownership.removeDir(dir);
    });
    const source = await provideDataDir(templateSpec(bins, account), join(dir, 'data'), ctx);
    const port = await withPortRetry(
      opts.port,
      (p) => startServer({ ctx, bins, dir, account, teardown, port: p, timeoutMs: opts.timeoutMs, template: source.template }),
      { what: 'postgres', log: ctx.log },
    );
    const endpoint = { host: LOOPBACK, port, username: USER, password: generatePassword(), database: DATABASE };
    await withPostgresClient({ ...endpoint, host: dir, password: '' }, 'postgres', async (c) => {
      await c.query(`ALTER ROLE ${USER} PASSWORD '${endpoint.password}'`);
      await c.query(`CREATE DATABASE ${DATABASE}`);
    });
    return createStartedService(
      postgresAdapter,
      { ...endpoint, provider: 'local', description: `local process (initdb+postgres ${bins.major})`, startupMs: performance.now() - started },
      () => teardown.run(),
    );
  });
}

/** initdb's recipe. The password it sets is thrown away: each session sets its own over the socket. */
function templateSpec(bins: PostgresBinaries, account: Account | undefined): TemplateSpec {
  return {
    kind: 'postgres',
    key: ['postgres-template-1', bins.initdb, bins.version, account?.uid ?? 'self'].join('|'),
    account,
    build: async (dataDir, workDir) => {
      const pwfile = join(workDir, 'pwfile');
      writeFileSync(pwfile, `${generatePassword()}\n`, { mode: 0o600 });
      giveTo(pwfile, account);
      try {
        await runCommand(
          bins.initdb,
          [
            '-D', dataDir,
            '-U', USER,
            `--pwfile=${pwfile}`,
            '--auth-local=trust',
            `--auth-host=${bins.major >= 14 ? 'scram-sha-256' : 'md5'}`,
            '--encoding=UTF8',
            '--locale=C',
            '--no-sync',
            ...(bins.major >= 14 ? ['--no-instructions'] : []),
          ],
          { cwd: workDir, account },
        );
      } finally {
        await rm(pwfile, { force: true });
      }
    },
  };
}

interface ServerStart {
  readonly ctx: ProviderContext;
  readonly bins: PostgresBinaries;
  readonly dir: string;
  readonly account: Account | undefined;
  readonly teardown: Teardown;
  readonly port: number;
  readonly timeoutMs: number | undefined;
  /** The cached template the data came from, named in errors. */
  readonly template: string | undefined;
}

/** One attempt on one port: spawn, record, wait; on failure the process is stopped and forgotten. */
async function startServer(s: ServerStart): Promise<number> {
  const { port } = s;
  const server = spawnServer({
    name: 'postgres',
    command: s.bins.postgres,
    args: serverArgs(s.dir, port),
    cwd: s.dir,
    logFile: join(s.dir, 'postgres.log'),
    account: s.account,
    stopSignal: 'SIGINT',
  });
  // Readiness over the session's private socket, which trusts; the TCP password is set right after.
  const socket = { host: s.dir, port, username: USER, password: '', database: 'postgres' };
  const readiness = Wait.forProtocol(LOOPBACK, port, 'Postgres', postgresProbe(socket));
  return superviseServer({ ...s, server, name: 'postgres', port, readiness });
}

// Settings for a disposable server: durability off (the data is thrown away), loopback only.
function serverArgs(dir: string, port: number): string[] {
  const settings: Record<string, string | number> = {
    listen_addresses: LOOPBACK,
    port,
    unix_socket_directories: dir,
    unix_socket_permissions: '0700',
    fsync: 'off',
    full_page_writes: 'off',
    synchronous_commit: 'off',
    wal_level: 'minimal',
    max_wal_senders: 0,
    jit: 'off',
    timezone: 'UTC',
    log_timezone: 'UTC',
    logging_collector: 'off',
  };
  return ['-D', join(dir, 'data'), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
}
