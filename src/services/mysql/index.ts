import type { ServiceBackend } from '../types.ts';
import { startMysqlContainer } from './container.ts';
import { startExternalMysql } from './external.ts';
import { mysqlLocalAvailability, startLocalMysql } from './local.ts';

/** MySQL (the OLTP source) from a container, a local MariaDB/MySQL process or a given URI. */
export const mysqlBackend: ServiceBackend = {
  kind: 'mysql',
  envVar: 'DAGBOX_CONN_MYSQL',
  exampleUri: 'mysql://root:password@127.0.0.1:3306/mysql',
  installHint: 'apt-get install mariadb-server',
  localAvailability: mysqlLocalAvailability,
  startContainer: startMysqlContainer,
  startLocal: startLocalMysql,
  startExternal: startExternalMysql,
};

export { mysqlAdapter } from './adapter.ts';
export { createMysqlPool } from './client.ts';
export { startMysqlContainer } from './container.ts';
export { startExternalMysql } from './external.ts';
export { findMysqlBinaries, startLocalMysql } from './local.ts';
