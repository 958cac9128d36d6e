import { sqlAdapter } from '../handle.ts';

/** Postgres URIs and Airflow connections: `postgres://user:pass@127.0.0.1:54321/dagbox`, conn type `postgres`. */
export const postgresAdapter = sqlAdapter('postgres');
