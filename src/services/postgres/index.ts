import type { ServiceBackend } from '../types.ts';
import { startPostgresContainer } from './container.ts';
import { startExternalPostgres } from './external.ts';
import { postgresLocalAvailability, startLocalPostgres } from './local.ts';

/** Postgres (the warehouse, standing in for Redshift) from a container, a local process or a given URI. */
export const postgresBackend: ServiceBackend = {
  kind: 'postgres',
  envVar: 'DAGBOX_CONN_POSTGRES',
  exampleUri: 'postgres://user:password@127.0.0.1:5432/postgres',
  installHint: 'apt-get install postgresql',
  localAvailability: postgresLocalAvailability,
  startContainer: startPostgresContainer,
  startLocal: startLocalPostgres,
  startExternal: startExternalPostgres,
};

export { postgresAdapter } from './adapter.ts';
export { createPostgresPool } from './client.ts';
export { startPostgresContainer } from './container.ts';
export { startExternalPostgres } from './external.ts';
export { findPostgresBinaries, startLocalPostgres } from './local.ts';
