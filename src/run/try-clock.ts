import type { Pool as MysqlPool, PoolConnection } from 'mysql2/promise';

/**
 * The session's MySQL pool seen by one task try whose wall clock runs `shiftMs` ahead (a
 * verification re-run "a day later"): every connection it hands out has `SET timestamp` moved
 * ahead by the shift, so NOW() and CURRENT_TIMESTAMP in the source move too, and it is put back
 * (`SET timestamp = DEFAULT`) before the connection returns to the pool. With no shift the pool
 * is returned as it is.
 */
export function shiftMysqlClock(pool: MysqlPool, shiftMs: number): MysqlPool {
  if (shiftMs === 0) return pool;
  const seconds = shiftMs / 1000;
  const acquire = async (): Promise<PoolConnection> => {
    const conn = await pool.getConnection();
    try {
      await conn.query('SET timestamp = UNIX_TIMESTAMP(NOW(6)) + ?', [seconds]);
    } catch (error) {
      conn.release();
      throw error;
    }
    return conn;
  };
  const giveBack = (conn: PoolConnection): void => {
    conn.query('SET timestamp = DEFAULT').then(
      () => conn.release(),
      () => conn.destroy(),
    );
  };
  const run = (method: 'query' | 'execute') => async (...args: unknown[]): Promise<unknown> => {
    const conn = await acquire();
    try {
      return await (conn[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      giveBack(conn);
    }
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'query' || property === 'execute') return run(property);
      if (property === 'getConnection') {
        return async () => {
          const conn = await acquire();
          return new Proxy(conn, {
            get(c, p) {
              if (p === 'release') return () => giveBack(c);
              const value = Reflect.get(c, p, c) as unknown;
              return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(c) : value;
            },
          });
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
