import type { Connection } from '../config/connection.ts';
import type { ProviderName, ServiceKind, StartedService } from './types.ts';

/** Where a service answers and with which credentials: what a backend's adapter turns into URIs. */
export interface ServiceEndpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly database: string;
}

/**
 * How one backend spells its endpoint (Kysely's adapter: the backend-specific bits that are pure
 * functions of the endpoint).
 */
export interface ServiceAdapter {
  readonly kind: ServiceKind;
  /** The URI with the password, or with `***` for it when `masked`. */
  uri(endpoint: ServiceEndpoint, masked?: boolean): string;
  connection(connId: string, endpoint: ServiceEndpoint): Connection;
}

/** Everything a provider knows once its service answers. */
export interface StartedFields extends ServiceEndpoint {
  readonly provider: ProviderName;
  readonly description: string;
  readonly startupMs: number;
}

/**
 * Wraps what a provider started into the {@link StartedService} handle. `teardown` runs at most once,
 * however many times `stop()` or `[Symbol.asyncDispose]()` are called, and concurrent callers share it.
 */
export function createStartedService<F extends StartedFields>(
  adapter: ServiceAdapter,
  fields: F,
  teardown: () => Promise<void>,
): StartedService {
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= teardown());
  return {
    kind: adapter.kind,
    provider: fields.provider,
    description: fields.description,
    host: fields.host,
    port: fields.port,
    username: fields.username,
    password: fields.password,
    database: fields.database,
    startupMs: fields.startupMs,
    getConnectionUri: () => adapter.uri(fields),
    getMaskedUri: () => adapter.uri(fields, true),
    connection: (connId: string) => adapter.connection(connId, fields),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Runs the undo steps of a partly started service in reverse order, keeping the first error;
 * used both by `stop()` and when a start fails halfway.
 */
export async function runTeardown(steps: ReadonlyArray<() => unknown>): Promise<void> {
  let first: unknown;
  for (const step of [...steps].reverse()) {
    try {
      await step();
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

/** Collects undo steps while a provider starts, so a failure halfway undoes exactly what was done. */
export class Teardown {
  private readonly steps: Array<() => unknown> = [];

  /** Registers an undo step; steps run last-registered first. */
  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs all steps (once). */
  run(): Promise<void> {
    const steps = this.steps.splice(0);
    return runTeardown(steps);
  }

  /**
   * Runs `start`; if it throws, undoes what was registered so far and rethrows the start error
   * unchanged (a cleanup error then would only hide the cause the user needs to see).
   */
  async guard<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.run().catch(() => {});
      throw error;
    }
  }
}

/** `scheme://user[:pass]@host:port/db`, components URL-encoded; the password is `***` when `masked`. */
export function sqlUri(scheme: string, e: ServiceEndpoint, masked: boolean): string {
  const password = e.password ? `:${masked ? '***' : encodeURIComponent(e.password)}` : '';
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  return `${scheme}://${encodeURIComponent(e.username)}${password}@${host}:${e.port}/${encodeURIComponent(e.database)}`;
}

/**
 * The adapter of a SQL backend: `kind://user:pass@host:port/db` URIs and an Airflow connection of
 * conn type `kind` with the database in Airflow's `schema` field.
 */
export function sqlAdapter(kind: 'mysql' | 'postgres'): ServiceAdapter {
  return {
    kind,
    uri: (e, masked = false) => sqlUri(kind, e, masked),
    connection: (connId, e): Connection => ({
      connId,
      connType: kind,
      host: e.host,
      port: e.port,
      login: e.username,
      password: e.password,
      schema: e.database,
      extra: {},
    }),
  };
}
