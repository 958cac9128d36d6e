import { sqlAdapter } from '../handle.ts';

/** MySQL URIs and Airflow connections: `mysql://user:pass@127.0.0.1:33061/dagbox`, conn type `mysql`. */
export const mysqlAdapter = sqlAdapter('mysql');
