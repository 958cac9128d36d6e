import type { Connection } from '../../config/connection.ts';
import type { ServiceAdapter, ServiceEndpoint } from '../handle.ts';
import { sqlUri } from '../handle.ts';

/**
 * Postgres URIs and Airflow connections: `postgres://user:pass@127.0.0.1:54321/dagbox`, conn type
 * `postgres`, the database in Airflow's `schema` field.
 */
export const postgresAdapter: ServiceAdapter = {
  kind: 'postgres',
  uri: (e: ServiceEndpoint, masked = false) => sqlUri('postgres', e, masked),
  connection: (connId: string, e: ServiceEndpoint): Connection => ({
    connId,
    connType: 'postgres',
    host: e.host,
    port: e.port,
    login: e.username,
    password: e.password,
    schema: e.database,
    extra: {},
  }),
};
