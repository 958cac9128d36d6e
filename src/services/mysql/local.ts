import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStartedService, Teardown } from '../handle.ts';
import type { ServiceEndpoint } from '../handle.ts';
import { generatePassword } from '../mask.ts';
import { LOOPBACK, withPortRetry } from '../ports.ts';
import { findExecutable, giveTo, makeSessionDir, removeDir, runCommand, serverAccount, spawnServer } from '../processes.ts';
import type { Account } from '../processes.ts';
import type { Availability, LocalStartOptions, ProviderContext, StartedService } from '../types.ts';
import { provideDataDir } from '../templates.ts';
import type { TemplateSpec } from '../templates.ts';
import { superviseServer } from '../supervise.ts';
import { Wait } from '../wait.ts';
import { mysqlAdapter } from './adapter.ts';
import { mysqlProbe } from './client.ts';

/** Where MariaDB/MySQL server binaries usually live, besides PATH (Debian keeps mariadbd in /usr/sbin). */
export const MYSQL_DIRS = [
  '/usr/sbin',
  '/usr/bin',
  '/usr/local/mysql/bin',
  '/usr/local/mysql/scripts',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/opt/homebrew/bin',
  '/opt/homebrew/opt/mariadb/bin',
  '/opt/homebrew/opt/mysql/bin',
];

/** A small redo log keeps the cached data directory at ~26 MB instead of ~114 MB; server and template must agree. */
const MARIADB_LOG_FILE_SIZE = '8M';

/** The user and database of a local server. */
const USER = 'dagbox';
const DATABASE = 'dagbox';

/** A MariaDB or MySQL server binary, its flavour and version, and (MariaDB) its data-directory installer. */
export interface MysqlBinaries {
  readonly server: string;
  readonly flavor: 'mariadb' | 'mysql';
  /** `10.11`, `8.0`. */
  readonly version: string;
  /** The full `--version` output. */
  readonly versionText: string;
  /** mariadb-install-db; MySQL initializes with `mysqld --initialize-insecure` instead. */
  readonly installer?: string;
}

/** The installed mariadbd (preferred) or mysqld, or undefined when there is none (or MariaDB lacks its installer). */
export async function findMysqlBinaries(): Promise<MysqlBinaries | undefined> {
  const server = findExecutable(['mariadbd', 'mysqld'], MYSQL_DIRS);
  if (!server) return undefined;
  const text = await runCommand(server, ['--version'], { timeoutMs: 10_000 });
  const version = /Ver\s+(\d+\.\d+)/.exec(text)?.[1] ?? '?';
  const versionText = text.trim();
  if (!/mariadb/i.test(text)) return { server, flavor: 'mysql', version, versionText };
  const installer = findExecutable(['mariadb-install-db', 'mysql_install_db'], MYSQL_DIRS);
  return installer ? { server, flavor: 'mariadb', version, versionText, installer } : undefined;
}

/** Whether a local MySQL can be started here, and with what. */
export async function mysqlLocalAvailability(): Promise<Availability> {
  const bins = await findMysqlBinaries();
  return bins
    ? { ok: true, detail: bins.flavor === 'mariadb' ? `mariadb-install-db+mariadbd ${bins.version}` : `mysqld ${bins.version}` }
    : { ok: false, reason: `no mariadbd (with mariadb-install-db) or mysqld found on PATH or in ${MYSQL_DIRS.join(', ')}` };
}

/**
 * Starts a throwaway MariaDB (or MySQL): a copy of a data directory initialized once and cached
 * (templates.ts) in a temp dir, then the server on 127.0.0.1 and a random free port, its socket in the temp dir, binary log off and InnoDB flushing
 * relaxed. An init file creates user `dagbox` with a generated password and database `dagbox`, and
 * takes the empty-password root accounts off TCP. As root, the server runs as an unprivileged user.
 *
 * ```ts
 * await using my = await startLocalMysql(ctx);
 * my.getConnectionUri(); // mysql://dagbox:...@127.0.0.1:33061/dagbox
 * ```
 */
export async function startLocalMysql(ctx: ProviderContext, opts: LocalStartOptions = {}): Promise<StartedService> {
  const started = performance.now();
  const bins = await findMysqlBinaries();
  if (!bins) {
    throw new Error(
      `mysql: the local provider needs mariadbd and mariadb-install-db (or mysqld), which were not found on PATH or in ${MYSQL_DIRS.join(', ')}. ` +
        'Install them (apt-get install mariadb-server), or use another provider.',
    );
  }
  const account = serverAccount();
  const teardown = new Teardown();
  return teardown.guard(async () => {
    const dir = makeSessionDir('mysql', account);
    ctx.ownership.addDir(dir);
    teardown.add(async () => {
      await removeDir(dir);
      ctx.ownership.removeDir(dir);
    });
    const endpoint = { host: LOOPBACK, port: 0, username: USER, password: generatePassword(), database: DATABASE };
    const source = await provideDataDir(templateSpec(bins, account), join(dir, 'data'), ctx);
    const initFile = writeInitFile(dir, endpoint.password, account);
    const port = await withPortRetry(
      opts.port,
      (p) => startServer({ ctx, bins, dir, account, teardown, initFile, endpoint: { ...endpoint, port: p }, timeoutMs: opts.timeoutMs, template: source.template }),
      { what: 'mysql', log: ctx.log },
    );
    await rm(initFile, { force: true });
    return createStartedService(
      mysqlAdapter,
      {
        ...endpoint,
        port,
        provider: 'local',
        description: `local process (${bins.flavor === 'mariadb' ? 'mariadbd' : 'mysqld'} ${bins.version})`,
        startupMs: performance.now() - started,
      },
      () => teardown.run(),
    );
  });
}

/** The data directory's recipe; it has only root (and, for MariaDB, mariadb.sys), the init file adds `dagbox`. */
function templateSpec(bins: MysqlBinaries, account: Account | undefined): TemplateSpec {
  return {
    kind: 'mysql',
    key: ['mysql-template-1', bins.server, bins.versionText, account?.uid ?? 'self'].join('|'),
    account,
    build: (dataDir, workDir) => initDataDir(bins, dataDir, workDir, account),
  };
}

async function initDataDir(bins: MysqlBinaries, datadir: string, workDir: string, account: Account | undefined): Promise<void> {
  if (bins.flavor === 'mysql') {
    await runCommand(bins.server, ['--no-defaults', '--initialize-insecure', `--datadir=${datadir}`], { cwd: workDir, account });
    return;
  }
  const basedir = bins.server.startsWith('/usr/local/mysql/') ? ['--basedir=/usr/local/mysql'] : [];
  await runCommand(
    bins.installer as string,
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      `--innodb-log-file-size=${MARIADB_LOG_FILE_SIZE}`,
      ...basedir,
    ],
    { cwd: workDir, account },
  );
}

/** SQL the server runs at startup, before it serves clients; it holds the password, so it is removed once ready. */
function writeInitFile(dir: string, password: string, account: Account | undefined): string {
  const file = join(dir, 'init.sql');
  const rootsOnTcp = [LOOPBACK, '::1', hostname()].map((h) => `'root'@${sqlString(h)}`).join(', ');
  const sql = [
    `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY ${sqlString(password)};`,
    `ALTER USER '${USER}'@'%' IDENTIFIED BY ${sqlString(password)};`,
    `GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%' WITH GRANT OPTION;`,
    `CREATE DATABASE IF NOT EXISTS \`${DATABASE}\` CHARACTER SET utf8mb4;`,
    `ALTER USER 'root'@'localhost' IDENTIFIED BY ${sqlString(password)};`,
    `DROP USER IF EXISTS ${rootsOnTcp};`,
    'FLUSH PRIVILEGES;',
  ].join('\n');
  writeFileSync(file, `${sql}\n`, { mode: 0o600 });
  giveTo(file, account);
  return file;
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

interface ServerStart {
  readonly ctx: ProviderContext;
  readonly bins: MysqlBinaries;
  readonly dir: string;
  readonly account: Account | undefined;
  readonly teardown: Teardown;
  readonly initFile: string;
  readonly endpoint: ServiceEndpoint;
  readonly timeoutMs: number | undefined;
  /** The cached template the data came from, named in errors. */
  readonly template: string | undefined;
}

/** One attempt on one port: spawn, record, wait; on failure the process is stopped and forgotten. */
async function startServer(s: ServerStart): Promise<number> {
  const { port } = s.endpoint;
  const name = s.bins.flavor === 'mariadb' ? 'mariadbd' : 'mysqld';
  const server = spawnServer({
    name,
    command: s.bins.server,
    args: serverArgs(s.bins, s.dir, port, s.initFile),
    cwd: s.dir,
    logFile: join(s.dir, `${name}.log`),
    account: s.account,
  });
  const readiness = Wait.forProtocol(LOOPBACK, port, 'MySQL', mysqlProbe(s.endpoint));
  return superviseServer({ ...s, server, name, port, readiness });
}

// A disposable server: loopback only, no binary log, InnoDB flushing relaxed (the data is thrown away).
function serverArgs(bins: MysqlBinaries, dir: string, port: number, initFile: string): string[] {
  return [
    '--no-defaults',
    `--datadir=${join(dir, 'data')}`,
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    `--tmpdir=${dir}`,
    `--port=${port}`,
    `--bind-address=${LOOPBACK}`,
    `--init-file=${initFile}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-flush-log-at-trx-commit=0',
    '--innodb-doublewrite=0',
    '--innodb-buffer-pool-size=32M',
    ...(bins.flavor === 'mariadb' ? [`--innodb-log-file-size=${MARIADB_LOG_FILE_SIZE}`] : []),
    '--character-set-server=utf8mb4',
    '--default-time-zone=+00:00',
    // MySQL 8 also opens the X protocol on 0.0.0.0:33060 unless told not to.
    ...(bins.flavor === 'mysql' ? ['--mysqlx=OFF'] : []),
  ];
}
