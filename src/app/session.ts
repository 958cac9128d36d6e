import { existsSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type { ServiceMode } from '../config/config.ts';
import type { Connection } from '../config/connection.ts';
import type { ServiceHooks } from '../dag/types.ts';
import { loadFixtures, type FixtureReport } from '../fixtures/index.ts';
import { createMysqlPool } from '../services/mysql/index.ts';
import { clientConfig as pgClientConfig } from '../services/postgres/client.ts';
import { createS3Client } from '../services/s3/index.ts';
import { createPostgresClients, dropSnapshot, restore, snapshot, type OwnedPostgresClients, type RestoreReport, type ServiceClients, type Snapshot } from '../snapshot/index.ts';
import { startServices, type ServiceKind, type ServiceSet } from '../services/index.ts';
import { serviceHooks } from './hooks.ts';

/** `--services`: one mode for all three services, or `none` to run without any. */
export type ServicesFlag = ServiceMode | 'none';

/** Options of {@link startSession}. */
export interface SessionOptions {
  /** Per-service modes from the config file, overridden by `flag`. */
  modes?: Partial<Record<ServiceKind, ServiceMode>>;
  /** `--services`, applied to all three. */
  flag?: ServicesFlag;
  /** `images` from the config file: which images containers run (DAGBOX_IMAGES overrides). */
  images?: string;
  /** Folder of fixtures (`fixtures/mysql`, `fixtures/postgres`, `fixtures/s3`). */
  fixturesDir: string;
  stateDir: string;
  log: (line: string) => void;
}

/**
 * The services of one dagbox session and everything DAGs and checks need from them: connections,
 * task-context hooks, fixtures, snapshot and restore. `null` services when run with `--services none`.
 */
export interface Session extends AsyncDisposable {
  readonly services: ServiceSet | null;
  /** Connections the session registers: mysql, postgres (alias redshift), s3 (alias aws). */
  readonly connections: Connection[];
  /** Passwords and keys to mask in every log line. */
  readonly secrets: string[];
  /**
   * Members for the task context: ctx.mysql(), ctx.postgres() (a plain pg Pool), ctx.warehouse()
   * (the same database speaking Redshift: COPY from S3, UNLOAD, GETDATE(), #temp), ctx.s3(),
   * ctx.bucket, and ctx.fixturesDir (where the http operator finds its responses).
   */
  hooks(): Partial<ServiceHooks> & { fixturesDir?: string };
  /** Load the fixtures folder; all or nothing. No-op without services. */
  loadFixtures(): Promise<FixtureReport | null>;
  snapshot(name: string): Promise<Snapshot | null>;
  /** Put every service back as it was at the snapshot; the report says how long each took. */
  restore(snap: Snapshot | null): Promise<RestoreReport | null>;
  dropSnapshot(snap: Snapshot | null): Promise<void>;
  /** The clients fixtures and snapshots use (for verification reads). */
  readonly clients: Partial<ServiceClients>;
  stop(): Promise<void>;
}

const SYSTEM_SCHEMAS = new Set(['information_schema', 'mysql', 'performance_schema', 'sys']);

/** Start the session's services (unless `none`) and connect to them. */
export async function startSession(opts: SessionOptions): Promise<Session> {
  const flag = opts.flag;
  if (flag === 'none') return emptySession(opts.fixturesDir);
  const mode = (kind: ServiceKind): ServiceMode => flag ?? opts.modes?.[kind] ?? 'auto';
  const services = await startServices({
    providers: { mysql: mode('mysql'), postgres: mode('postgres'), s3: mode('s3') },
    stateDir: opts.stateDir,
    log: opts.log,
    images: opts.images,
  });
  try {
    return await connectSession(services, opts);
  } catch (error) {
    await services.stop();
    throw error;
  }
}

async function connectSession(services: ServiceSet, opts: SessionOptions): Promise<Session> {
  const mysqlPool = createMysqlPool(services.mysql, { connectionLimit: 8, multipleStatements: false, dateStrings: false, supportBigNumbers: true });
  const postgres: OwnedPostgresClients = createPostgresClients({
    config: { ...pgClientConfig(services.postgres), database: services.postgres.database, max: 8 },
    adminDatabase: 'postgres',
  });
  const s3: S3Client = createS3Client(services.s3);
  const clients: Partial<ServiceClients> & { mysql: { pool: MysqlPool; database: string; schemas: string[] } } = {
    mysql: { pool: mysqlPool, database: services.mysql.database, schemas: [] },
    postgres,
    s3: { client: s3, bucket: services.s3.database },
  };
  const connections: Connection[] = [
    services.mysql.connection('mysql'),
    services.postgres.connection('postgres'),
    services.postgres.connection('redshift'),
    services.s3.connection('s3'),
    services.s3.connection('aws'),
  ];
  const secrets = [services.mysql.password, services.postgres.password, services.s3.password].filter(Boolean);
  let stopped: Promise<void> | undefined;

  const session: Session = {
    services,
    connections,
    secrets,
    clients,
    // postgres.pool is read at every use: snapshot and restore replace the pool.
    hooks: serviceHooks({ mysql: () => mysqlPool, postgres: () => postgres.pool, s3: () => s3, bucket: services.s3.database, fixturesDir: opts.fixturesDir }),
    async loadFixtures() {
      if (!existsSync(opts.fixturesDir)) return null;
      const before = await mysqlSchemas(mysqlPool);
      const report = await loadFixtures(opts.fixturesDir, clients);
      // Databases the fixtures made (prod for prod.nps) belong to the session: snapshots cover them.
      const after = await mysqlSchemas(mysqlPool);
      clients.mysql.schemas = [...new Set([...clients.mysql.schemas, ...after.filter((s) => !before.includes(s) && s !== services.mysql.database)])];
      return report;
    },
    snapshot: (name) => snapshot(clients, name),
    restore: async (snap) => (snap ? restore(clients, snap) : null),
    async dropSnapshot(snap) {
      if (snap) await dropSnapshot(clients, snap);
    },
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled([mysqlPool.end(), postgres.end()]);
        s3.destroy();
        await services.stop();
      })();
      return stopped;
    },
    [Symbol.asyncDispose]() {
      return session.stop();
    },
  };
  return session;
}

async function mysqlSchemas(pool: MysqlPool): Promise<string[]> {
  const [rows] = await pool.query('SELECT schema_name AS name FROM information_schema.schemata');
  return (rows as { name: string }[]).map((r) => r.name).filter((n) => !SYSTEM_SCHEMAS.has(n) && !n.startsWith('dgbx_'));
}

/** A session without services: hooks say why they cannot serve. */
function emptySession(fixturesDir: string): Session {
  const session: Session = {
    services: null,
    connections: [],
    secrets: [],
    clients: {},
    hooks: () => ({ fixturesDir }),
    loadFixtures: async () => null,
    snapshot: async () => null,
    restore: async () => null,
    dropSnapshot: async () => {},
    stop: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
  return session;
}
