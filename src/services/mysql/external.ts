import { performance } from 'node:perf_hooks';
import { createOwned, dropLeftovers, externalError, parseExternalUri } from '../external.ts';
import { createStartedService } from '../handle.ts';
import type { ServiceEndpoint } from '../handle.ts';
import type { ProviderContext, StartedService } from '../types.ts';
import { Wait, waitUntilReady } from '../wait.ts';
import { mysqlAdapter } from './adapter.ts';
import { quoteMysqlIdent } from '../../sql/identifiers.ts';
import { isFinalMysqlError, mysqlProbe, withMysqlConnection } from './client.ts';

/**
 * Uses a MySQL or MariaDB server the user runs (`mysql://user:pass@host:3306/db`, e.g. from
 * DAGBOX_CONN_MYSQL): creates the isolated database `dagbox_<session>` there, and drops it on stop.
 * The URI's user must be allowed to create databases.
 *
 * ```ts
 * await using my = await startExternalMysql(ctx, 'mysql://root@127.0.0.1:3306/test');
 * my.database; // 'dagbox_1a2b3c4d'
 * ```
 */
export async function startExternalMysql(ctx: ProviderContext, uri: string, opts: { timeoutMs?: number } = {}): Promise<StartedService> {
  const started = performance.now();
  const c = parseExternalUri('mysql', uri, ['mysql', 'mariadb']);
  const admin: ServiceEndpoint = {
    host: c.host || '127.0.0.1',
    port: c.port ?? 3306,
    username: c.login ?? 'root',
    password: c.password ?? '',
    database: c.schema ?? '',
  };
  const secrets = [c.password];
  try {
    await waitUntilReady(Wait.forProtocol(admin.host, admin.port, 'MySQL', mysqlProbe(admin, admin.database || null), isFinalMysqlError), { timeoutMs: opts.timeoutMs ?? 10_000 });
  } catch (error) {
    throw externalError('mysql', uri, 'connect', error, secrets);
  }
  const endpoint = `${admin.host}:${admin.port}`;
  await dropLeftovers(ctx, 'mysql', endpoint, (name) => dropDatabase(admin, name));
  const name = `dagbox_${ctx.session}`;
  const owned = await createOwned(ctx, { kind: 'mysql', endpoint, name }, () =>
    withMysqlConnection(admin, null, (conn) => conn.query(`CREATE DATABASE ${quoteMysqlIdent(name)} CHARACTER SET utf8mb4`)).then(
      () => undefined,
      (error: unknown) => Promise.reject(externalError('mysql', uri, `create database ${name}`, error, secrets)),
    ),
  );
  return createStartedService(
    mysqlAdapter,
    { ...admin, database: name, provider: 'external', description: `external server ${endpoint} (database ${name})`, startupMs: performance.now() - started },
    async () => {
      await dropDatabase(admin, name).catch((error: unknown) => Promise.reject(externalError('mysql', uri, `drop database ${name}`, error, secrets)));
      ctx.ownership.removeExternal(owned);
    },
  );
}

async function dropDatabase(admin: ServiceEndpoint, name: string): Promise<void> {
  await withMysqlConnection(admin, null, (conn) => conn.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`));
}
