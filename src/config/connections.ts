import type { Connections } from '../dag/types.ts';
import { parseConnection } from './connection.ts';
import type { Connection } from './connection.ts';

const ENV_PREFIXES = ['AIRFLOW_CONN_', 'DAGBOX_CONN_'] as const;

/** Connections as {@link createConnections} makes them: readable by id, listable, and extendable by services. */
export interface ConnectionRegistry extends Connections {
  /** Every connection, sorted by id. */
  list(): Connection[];
  /** Add or replace a connection (a started service registers its generated credentials here). */
  add(connection: Connection): void;
}

/**
 * Airflow Connections from `dagbox.config.ts` and the environment.
 *
 * A connection is a URI in Airflow's format (`postgres://user:pass@host:5432/db?sslmode=disable`),
 * Airflow's JSON format, or a {@link Connection} object. The environment overrides the config:
 * `AIRFLOW_CONN_<ID>` is accepted, and `DAGBOX_CONN_<ID>` wins over it. `<ID>` is the
 * upper-cased conn id; the connection is known by its lower-cased id (`DAGBOX_CONN_WAREHOUSE`
 * defines `warehouse`), and `get` accepts any case.
 *
 * ```ts
 * const conns = createConnections({ source: 'mysql://etl:pw@127.0.0.1:3306/prod' }, process.env);
 * conns.get('source').schema; // 'prod'
 * ```
 */
export function createConnections(
  defined: Record<string, string | Connection>,
  env: NodeJS.ProcessEnv = process.env,
): ConnectionRegistry {
  const store = new Map<string, Connection>();
  for (const [id, value] of Object.entries(defined)) {
    store.set(id, typeof value === 'string' ? parseConnection(id, value) : { ...value, connId: id });
  }
  // AIRFLOW_ first, so that DAGBOX_ overrides it.
  for (const prefix of ENV_PREFIXES) {
    for (const [name, text] of Object.entries(env)) {
      if (!name.startsWith(prefix) || !text || name.length === prefix.length) continue;
      const id = existingId(store, name.slice(prefix.length)) ?? name.slice(prefix.length).toLowerCase();
      store.set(id, parseFromEnv(id, name, text));
    }
  }
  const resolve = (connId: string): string | undefined => (store.has(connId) ? connId : existingId(store, connId));
  return {
    get(connId: string): Connection {
      const id = resolve(connId);
      if (id !== undefined) return store.get(id)!;
      throw new Error(missingMessage(connId, [...store.keys()]));
    },
    has: (connId) => resolve(connId) !== undefined,
    list: () => [...store.values()].sort((a, b) => (a.connId < b.connId ? -1 : a.connId > b.connId ? 1 : 0)),
    add(connection: Connection): void {
      store.set(resolve(connection.connId) ?? connection.connId, connection);
    },
  };
}

function existingId(store: Map<string, Connection>, anyCase: string): string | undefined {
  const upper = anyCase.toUpperCase();
  for (const id of store.keys()) if (id.toUpperCase() === upper) return id;
  return undefined;
}

function parseFromEnv(id: string, name: string, text: string): Connection {
  try {
    return parseConnection(id, text);
  } catch (error) {
    throw new Error(`environment variable ${name} does not hold a valid connection: ${(error as Error).message}`, { cause: error });
  }
}

function missingMessage(connId: string, known: string[]): string {
  const envName = `DAGBOX_CONN_${connId.toUpperCase()}`;
  const knownText = known.length ? `known connections: ${known.sort().join(', ')}` : 'no connections are defined';
  return (
    `connection "${connId}" is not defined (${knownText}): add it to dagbox.config.ts connections ` +
    `or set ${envName}=type://login:password@host:port/schema`
  );
}
