import { dropMysqlSnapshot, restoreMysql, snapshotMysql, type MysqlSnapshot } from './mysql-snapshot.ts';
import { dropPostgresSnapshot, restorePostgres, snapshotPostgres, type PostgresSnapshot } from './postgres-snapshot.ts';
import { dropS3Snapshot, restoreS3, snapshotS3, type S3Snapshot } from './s3-snapshot.ts';
import { SERVICE_NAMES, type ServiceClients, type ServiceName } from './service-clients.ts';

/**
 * A snapshot of the session's services. The copies live on the servers; the value names them and
 * tracks the Postgres copies being made or dropped in the background. Keep it as long as you want
 * to restore it; {@link dropSnapshot} waits for that background work and removes every copy.
 */
export interface Snapshot {
  readonly name: string;
  readonly createdAt: Date;
  readonly mysql?: MysqlSnapshot;
  readonly postgres?: PostgresSnapshot;
  readonly s3?: S3Snapshot;
}

/** How long a restore took, in all and per service (they run in parallel). */
export interface RestoreReport {
  readonly ms: number;
  readonly services: Partial<Record<ServiceName, number>>;
}

interface Part {
  service: ServiceName;
  ms: number;
}

/**
 * Snapshot every service given, in parallel: Postgres as a template database, MySQL as shadow
 * copies of its tables, S3 as copies of its objects in a bucket of the snapshot's own. If one
 * service fails, the parts already taken are dropped and the error names the service.
 *
 * Postgres connections to the session database are closed for the copy (see
 * `PostgresClients.reconnect`); nothing should query the services meanwhile.
 *
 * ```ts
 * const snap = await snapshot(clients, 'fixtures');
 * // ... a test writes to MySQL, Postgres and S3 ...
 * await restore(clients, snap);   // exactly as at the snapshot again
 * await dropSnapshot(clients, snap);
 * ```
 */
export async function snapshot(clients: Partial<ServiceClients>, name: string): Promise<Snapshot> {
  const taken: { mysql?: MysqlSnapshot; postgres?: PostgresSnapshot; s3?: S3Snapshot } = {};
  const jobs: Record<ServiceName, (() => Promise<void>) | undefined> = {
    mysql: clients.mysql && (async () => void (taken.mysql = await snapshotMysql(clients.mysql!))),
    postgres: clients.postgres && (async () => void (taken.postgres = await snapshotPostgres(clients.postgres!))),
    s3: clients.s3 && (async () => void (taken.s3 = await snapshotS3(clients.s3!, name))),
  };
  const failures = await runParts(jobs);
  const snap: Snapshot = { name, createdAt: new Date(), ...taken };
  if (failures.length > 0) {
    await dropSnapshot(clients, snap).catch(() => {});
    throw partsError(`snapshot "${name}"`, failures, 'the parts already taken were dropped; fix the cause and take the snapshot again');
  }
  return snap;
}

/**
 * Put every service of the snapshot back as it was when it was taken; the snapshot stays usable
 * for further restores. Services run in parallel; a failure names the service, whose state is
 * then undefined (restore again, or drop and re-create its database).
 */
export async function restore(clients: Partial<ServiceClients>, snap: Snapshot): Promise<RestoreReport> {
  const start = performance.now();
  assertClientsFor(clients, snap);
  if (snap.postgres && snap.postgres.database !== clients.postgres!.database) {
    throw new Error(
      `snapshot "${snap.name}" was taken of Postgres database "${snap.postgres.database}" but the clients given are for "${clients.postgres!.database}": ` +
        'restore it with the clients of the session that took it.',
    );
  }
  const done: Part[] = [];
  const timed = (service: ServiceName, fn: () => Promise<void>) => async () => {
    const t = performance.now();
    await fn();
    done.push({ service, ms: performance.now() - t });
  };
  const failures = await runParts({
    mysql: snap.mysql && timed('mysql', () => restoreMysql(clients.mysql!, snap.mysql!)),
    postgres: snap.postgres && timed('postgres', () => restorePostgres(clients.postgres!, snap.postgres!)),
    s3: snap.s3 && timed('s3', () => restoreS3(clients.s3!, snap.s3!)),
  });
  if (failures.length > 0) {
    throw partsError(`restore of snapshot "${snap.name}"`, failures, 'restore again, or drop and re-create the failed service\'s database');
  }
  return { ms: performance.now() - start, services: Object.fromEntries(done.map((p) => [p.service, p.ms])) };
}

/** Remove the snapshot's copies from every service (no error for copies already gone). */
export async function dropSnapshot(clients: Partial<ServiceClients>, snap: Snapshot): Promise<void> {
  assertClientsFor(clients, snap);
  const failures = await runParts({
    mysql: snap.mysql && (() => dropMysqlSnapshot(clients.mysql!, snap.mysql!)),
    postgres: snap.postgres && (() => dropPostgresSnapshot(clients.postgres!, snap.postgres!)),
    s3: snap.s3 && (() => dropS3Snapshot(clients.s3!, snap.s3!)),
  });
  if (failures.length > 0) {
    throw partsError(`dropping snapshot "${snap.name}"`, failures, 'its copies (named dgbx_snap_* / dgbx-snap-*) may be left on that server');
  }
}

interface Failure {
  service: ServiceName;
  error: unknown;
}

async function runParts(jobs: Record<ServiceName, (() => Promise<void>) | undefined>): Promise<Failure[]> {
  const services = SERVICE_NAMES.filter((s) => jobs[s] !== undefined);
  const results = await Promise.allSettled(services.map((s) => jobs[s]!()));
  return results.flatMap((r, i) => (r.status === 'rejected' ? [{ service: services[i]!, error: r.reason }] : []));
}

function assertClientsFor(clients: Partial<ServiceClients>, snap: Snapshot): void {
  const missing = SERVICE_NAMES.filter((s) => snap[s] !== undefined && clients[s] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `snapshot "${snap.name}" covers ${missing.join(', ')} but no clients were given for ${missing.length > 1 ? 'them' : 'it'}: pass the same services the snapshot was taken with.`,
    );
  }
}

function partsError(what: string, failures: Failure[], advice: string): Error {
  const details = failures.map((f) => `${f.service}: ${(f.error as Error)?.message ?? String(f.error)}`).join('; ');
  const cause = failures.length === 1 ? failures[0]!.error : new AggregateError(failures.map((f) => f.error));
  return new Error(`${what} failed for ${failures.map((f) => f.service).join(' and ')} (${details}): ${advice}.`, { cause });
}
