import type { Connection } from '../config/connection.ts';
import type { Ownership } from './ownership.ts';
import type { Leftovers } from './ownership.ts';
import type { ImageSet } from './images.ts';

/** The three services every dagbox session runs against. */
export type ServiceKind = 'mysql' | 'postgres' | 's3';

/** The ways a service can be provided: a container, a local server process, or a server the user already runs. */
export type ProviderName = 'containers' | 'local' | 'external';

/** All service kinds, in the order dagbox reports them. */
export const SERVICE_KINDS: readonly ServiceKind[] = ['mysql', 'postgres', 's3'];

/**
 * A running service, whichever provider started it. The handle alone stops it and removes its data.
 *
 * ```ts
 * await using pg = await postgresBackend.startLocal(ctx);
 * new pg.Pool({ connectionString: pg.getConnectionUri() });
 * ```
 */
export interface StartedService extends AsyncDisposable {
  readonly kind: ServiceKind;
  readonly provider: ProviderName;
  /** What serves it, for people: `local process (initdb+postgres 15)`, `container postgres:15.8-alpine`, ... */
  readonly description: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** The session's database; for s3 the session bucket's name. */
  readonly database: string;
  /** `mysql://u:p@127.0.0.1:port/db`, `postgres://...`; for s3 the endpoint, `http://127.0.0.1:port`. */
  getConnectionUri(): string;
  /** The same URI with the password replaced by `***`, safe for logs. */
  getMaskedUri(): string;
  /** The service as an Airflow Connection (s3: conn type `aws` with `endpoint_url` and `region_name` extras). */
  connection(connId: string): Connection;
  /** Milliseconds from asking for the service to it answering. */
  readonly startupMs: number;
  /** Stops the service and removes its data (external: drops the session database or bucket). Idempotent. */
  stop(): Promise<void>;
}

/** The three services of one session. Stop it (or `await using` it) to stop all three. */
export interface ServiceSet extends AsyncDisposable {
  /** Random id of this session; external databases are named `dagbox_<session>`. */
  readonly session: string;
  readonly mysql: StartedService;
  readonly postgres: StartedService;
  readonly s3: StartedService;
  /** Stops all three in parallel; idempotent. */
  stop(): Promise<void>;
}

/** What every provider's `start` gets: the session it belongs to and where to record what it owns. */
export interface ProviderContext {
  /** Random hex id of the session (used in names of external databases and buckets). */
  readonly session: string;
  /** Records pids, temp dirs and external databases, so a killed session can be cleaned up by the next. */
  readonly ownership: Ownership;
  /** Databases and buckets left on external servers by sessions that died; external providers drop them. */
  readonly leftovers?: Leftovers;
  readonly log: (line: string) => void;
  /** Which images containers run (`official` unless DAGBOX_IMAGES or the config say `local`). */
  readonly imageSet?: ImageSet;
}

/** Options of a local-process provider. */
export interface LocalStartOptions {
  /** Port to try first; when it is taken, another free port is used. Default: a random free port. */
  readonly port?: number;
  /** How long to wait for the server to answer. Default 30000. */
  readonly timeoutMs?: number;
}

/** Whether a provider can serve on this machine, and if so what it will use. */
export type Availability = { ok: true; detail: string } | { ok: false; reason: string };

/**
 * One backend, the way Kysely has one dialect per database: a factory for each provider plus the
 * hints dagbox prints when none can serve. Adding a backend is copying a folder and filling this in.
 */
export interface ServiceBackend {
  readonly kind: ServiceKind;
  /** Environment variable holding a URI of an external server, e.g. `DAGBOX_CONN_POSTGRES`. */
  readonly envVar: string;
  /** Example URI for error messages. */
  readonly exampleUri: string;
  /** How to get local binaries, e.g. `apt-get install postgresql`. */
  readonly installHint: string;
  /** Whether binaries for a local process exist (s3 is in-process, so always available). */
  localAvailability(): Promise<Availability>;
  startContainer(ctx: ProviderContext, opts?: { timeoutMs?: number }): Promise<StartedService>;
  startLocal(ctx: ProviderContext, opts?: LocalStartOptions): Promise<StartedService>;
  startExternal(ctx: ProviderContext, uri: string, opts?: { timeoutMs?: number }): Promise<StartedService>;
}
