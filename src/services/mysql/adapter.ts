import type { Connection } from '../../config/connection.ts';
import type { ServiceAdapter, ServiceEndpoint } from '../handle.ts';
import { sqlUri } from '../handle.ts';

/**
 * MySQL URIs and Airflow connections: `mysql://user:pass@127.0.0.1:33061/dagbox`, conn type `mysql`,
 * the database in Airflow's `schema` field.
 */
export const mysqlAdapter: ServiceAdapter = {
  kind: 'mysql',
  uri: (e: ServiceEndpoint, masked = false) => sqlUri('mysql', e, masked),
  connection: (connId: string, e: ServiceEndpoint): Connection => ({
    connId,
    connType: 'mysql',
    host: e.host,
    port: e.port,
    login: e.username,
    password: e.password,
    schema: e.database,
    extra: {},
  }),
};
