/**
 * An Airflow Connection: credentials kept out of DAG code.
 *
 * ```ts
 * const c = parseConnection('warehouse', 'postgres://etl:s3cret@127.0.0.1:5439/dev?sslmode=disable');
 * c.password; // 's3cret' — masked in every log line
 * ```
 */
export interface Connection {
  connId: string;
  /** `mysql`, `postgres`, `aws`, `http`, ... (Airflow's conn_type; `postgresql` is read as `postgres`). */
  connType: string;
  host: string | null;
  port: number | null;
  login: string | null;
  password: string | null;
  /** Airflow's "schema": the database name for SQL connections. */
  schema: string | null;
  extra: Record<string, unknown>;
}

const TYPE_ALIASES: Record<string, string> = { postgresql: 'postgres', 'mysql+mysqldb': 'mysql', s3: 'aws' };

/**
 * Parse a connection in Airflow's URI format (`type://login:password@host:port/schema?extra=value`)
 * or its JSON format (`{"conn_type": "...", "login": "...", ...}`). Components are URL-decoded.
 */
export function parseConnection(connId: string, value: string): Connection {
  const text = value.trim();
  if (text.startsWith('{')) return fromJson(connId, text);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new Error(
      `connection "${connId}" is not a valid URI (expected type://login:password@host:port/schema, e.g. postgres://user:pass@127.0.0.1:5432/dev)`,
      { cause: error },
    );
  }
  const rawType = url.protocol.replace(/:$/, '').replace(/-/g, '_');
  const extra: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) {
    // Airflow puts a JSON extra in __extra__; plain params are extras one by one.
    if (k === '__extra__') Object.assign(extra, JSON.parse(v));
    else extra[k] = v;
  }
  const path = url.pathname.replace(/^\//, '');
  return {
    connId,
    connType: TYPE_ALIASES[rawType] ?? rawType,
    host: url.hostname ? decodeURIComponent(url.hostname) : null,
    port: url.port ? Number(url.port) : null,
    login: url.username ? decodeURIComponent(url.username) : null,
    password: url.password ? decodeURIComponent(url.password) : null,
    schema: path ? decodeURIComponent(path) : null,
    extra,
  };
}

function fromJson(connId: string, text: string): Connection {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`connection "${connId}" looks like JSON but does not parse: ${(error as Error).message}`, { cause: error });
  }
  const str = (k: string) => (raw[k] == null ? null : String(raw[k]));
  const type = str('conn_type') ?? '';
  const extra = typeof raw.extra === 'string' ? (JSON.parse(raw.extra) as Record<string, unknown>) : ((raw.extra as Record<string, unknown>) ?? {});
  return {
    connId,
    connType: TYPE_ALIASES[type] ?? type,
    host: str('host'),
    port: raw.port == null ? null : Number(raw.port),
    login: str('login'),
    password: str('password'),
    schema: str('schema'),
    extra,
  };
}

