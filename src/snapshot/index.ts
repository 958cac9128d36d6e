/**
 * Snapshot and restore of a session's services, for test isolation and re-running intervals.
 *
 * - Postgres: `CREATE DATABASE snap TEMPLATE live`; restore drops the live database and creates it
 *   from the snapshot again. The pool owner cooperates through `PostgresClients.reconnect`
 *   ({@link createPostgresClients} implements it with a pool getter that returns the current pool).
 * - MySQL: tables copied to shadow databases; restore truncates and copies back (re-creating
 *   tables whose definition changed, dropping tables created since, re-creating views and triggers).
 * - S3: objects copied to a store bucket; restore deletes objects created since and copies back
 *   those deleted or changed.
 *
 * src/snapshot/: snapshot and restore, the third concern split out of services/; it works on
 * clients (service-clients.ts), whichever way a server was started.
 *
 * May import: sql/, shared/ (the layers are checked by .dependency-cruiser.cjs).
 *
 * @module
 */
export { dropSnapshot, restore, snapshot, type RestoreReport, type Snapshot } from './snapshot.ts';
export { createPostgresClients, type OwnedPostgresClients, type PostgresClientsOptions } from './postgres-clients.ts';
export type { MysqlClients, PostgresClients, S3Clients, ServiceClients, ServiceName } from './service-clients.ts';
export type { MysqlSnapshot, MysqlSchemaState, MysqlTableState, MysqlDefinition } from './mysql-snapshot.ts';
export type { PostgresSnapshot } from './postgres-snapshot.ts';
export type { S3Snapshot, S3BucketState } from './s3-snapshot.ts';
