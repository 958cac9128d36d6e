/**
 * dagbox's services: MySQL, Postgres and S3 from containers, local processes or servers the user runs.
 *
 * ```ts
 * import { startServices, createS3Client } from './services/index.ts';
 * await using services = await startServices();
 * const s3 = createS3Client(services.s3);
 * ```
 *
 * src/services/: starting servers, the first of the three concerns services/ used to hold
 * (fixtures/ and snapshot/ are the others). The running MySQL, Postgres and S3 of one session are
 * its *servers*: a ServiceSet, from startServices (start-services.ts), one file set per backend
 * under mysql/, postgres/ and s3/.
 *
 * May import: config/, sql/, shared/ (never fixtures/, snapshot/ or verify/) (the layers are
 * checked by .dependency-cruiser.cjs).
 */
export type {
  Availability,
  LocalStartOptions,
  ProviderContext,
  ProviderName,
  ServiceBackend,
  ServiceKind,
  ServiceSet,
  StartedService,
} from './types.ts';
export { SERVICE_KINDS } from './types.ts';
export { BACKENDS, chooseProviders, startServices, StartServicesError } from './start-services.ts';
export type { StartServicesOptions } from './start-services.ts';
export { chooseProvider, NoProviderError } from './select.ts';
export { containerRuntimeAvailable, containerImages } from './containers.ts';
export { Leftovers, Ownership, reapStale } from './ownership.ts';
export type { OwnershipRecord, ReapReport } from './ownership.ts';
export { ReadinessError, Wait, waitUntilReady } from './wait.ts';
export type { ReadinessStrategy } from './wait.ts';
export { PortInUseError } from './ports.ts';
export { maskUri, redact } from './mask.ts';
export { createMysqlPool, mysqlBackend } from './mysql/index.ts';
export { createPostgresPool, postgresBackend } from './postgres/index.ts';
export { createS3Client, s3Backend } from './s3/index.ts';
