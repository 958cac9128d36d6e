import { performance } from 'node:perf_hooks';
import { createOwned, dropLeftovers, externalError, parseExternalUri } from '../external.ts';
import { createStartedService } from '../handle.ts';
import type { ServiceEndpoint } from '../handle.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { Wait, waitUntilReady } from '../wait.ts';
import { postgresAdapter } from './adapter.ts';
import { quotePgIdent } from '../../sql/identifiers.ts';
import { isFinalPostgresError, postgresProbe, withPostgresClient } from './client.ts';

/**
 * Uses a Postgres server the user runs (`postgres://user:pass@host:5432/db`, e.g. from
 * DAGBOX_CONN_POSTGRES): creates the isolated database `dagbox_<session>` there, and drops it on stop.
 * The URI's user must be allowed to create databases.
 *
 * ```ts
 * await using pg = await startExternalPostgres(ctx, 'postgres://postgres@127.0.0.1:5432/postgres');
 * pg.database; // 'dagbox_1a2b3c4d'
 * ```
 */
export async function startExternalPostgres(ctx: ProviderContext, uri: string, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const started = performance.now();
  const c = parseExternalUri('postgres', uri, ['postgres']);
  const admin: ServiceEndpoint = {
    host: c.host || '127.0.0.1',
    port: c.port ?? 5432,
    username: c.login ?? 'postgres',
    password: c.password ?? '',
    database: c.schema ?? 'postgres',
  };
  const secrets = [c.password];
  try {
    await waitUntilReady(Wait.forProtocol(admin.host, admin.port, 'Postgres', postgresProbe(admin), isFinalPostgresError), { timeoutMs: opts.timeoutMs ?? 10_000 });
  } catch (error) {
    throw externalError('postgres', uri, 'connect', error, secrets);
  }
  const endpoint = `${admin.host}:${admin.port}`;
  await dropLeftovers(ctx, 'postgres', endpoint, (name) => dropDatabase(admin, name));
  const name = `dagbox_${ctx.session}`;
  const owned = await createOwned(ctx, { kind: 'postgres', endpoint, name }, () =>
    withPostgresClient(admin, admin.database, (client) => client.query(`CREATE DATABASE ${quotePgIdent(name)}`)).then(
      () => undefined,
      (error: unknown) => Promise.reject(externalError('postgres', uri, `create database ${name}`, error, secrets)),
    ),
  );
  return createStartedService(
    postgresAdapter,
    { ...admin, database: name, provider: 'external', description: `external server ${endpoint} (database ${name})`, startupMs: performance.now() - started },
    async () => {
      await dropDatabase(admin, name).catch((error: unknown) => Promise.reject(externalError('postgres', uri, `drop database ${name}`, error, secrets)));
      ctx.ownership.removeExternal(owned);
    },
  );
}

/** Drops a database even while clients are connected (WITH (FORCE) from Postgres 13; earlier, terminate them first). */
async function dropDatabase(admin: ServiceEndpoint, name: string): Promise<void> {
  await withPostgresClient(admin, admin.database, async (client) => {
    const { rows } = await client.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version_num']);
    if (Number(rows[0]?.v) >= 130000) {
      await client.query(`DROP DATABASE IF EXISTS ${quotePgIdent(name)} WITH (FORCE)`);
      return;
    }
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    await client.query(`DROP DATABASE IF EXISTS ${quotePgIdent(name)}`);
  });
}
