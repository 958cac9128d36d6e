import type { Pool as MysqlPool, PoolConnection } from 'mysql2/promise';
import type { Pool as PgPool, PoolClient } from 'pg';
import type { TaskContext } from '../dag/types.ts';

/**
 * How long the run whose turn it is may take to send its next statement before the next run goes.
 * Far above a statement's round trip even on loaded cores, so that the interleaving (and so the
 * verdict) does not depend on the machine's speed; only a run blocked on another's lock waits it out.
 */
const TURN_GUARD_MS = 1_000;

/**
 * Interleaves the SQL of overlapping runs statement by statement: run A sends one, then run B,
 * then A again... as the most overlapped schedule two Airflow workers could produce. A run that
 * does not send its next statement in time (it waits on a lock another run holds, or computes)
 * loses its turn, so no run ever waits on another for good.
 */
export class Lockstep {
  private readonly order: string[] = [];
  private readonly ended = new Set<string>();
  private turn = 0;
  private readonly waiting = new Map<string, () => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly size: number) {}

  /** Wait for `run`'s turn to send a statement; runs beyond the first `size` are not held. */
  before(run: string): Promise<void> {
    if (!this.order.includes(run)) {
      if (this.order.length >= this.size) return Promise.resolve();
      this.order.push(run);
    }
    if (this.live().length < 2) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.set(run, resolve);
      this.pump();
    });
  }

  /** A run ended: it takes no more turns. */
  end(run: string): void {
    this.ended.add(run);
    this.pump();
  }

  private live(): string[] {
    return this.order.filter((r) => !this.ended.has(r));
  }

  private current(): string | undefined {
    const live = this.live();
    return live.length === 0 ? undefined : live[this.turn % live.length];
  }

  private advance(): void {
    this.turn++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    for (;;) {
      const run = this.current();
      if (run === undefined) return;
      const go = this.waiting.get(run);
      if (go) {
        this.waiting.delete(run);
        this.advance();
        go();
        continue;
      }
      if (this.waiting.size > 0 && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.advance();
          this.pump();
        }, TURN_GUARD_MS);
        this.timer.unref();
      }
      if (this.live().length < 2) {
        for (const [r, resolve] of this.waiting) {
          this.waiting.delete(r);
          resolve();
        }
      }
      return;
    }
  }
}

/** Task-context members whose pools send each statement in the run's turn of `lockstep`. */
export function lockstepHooks(lockstep: Lockstep, ctx: TaskContext, base: Record<string, unknown>): Record<string, unknown> {
  const run = ctx.runId;
  const hooks: Record<string, unknown> = {};
  const cache = new Map<object, unknown>();
  const once = <T extends object>(target: T, wrap: (t: T) => T): T => {
    if (!cache.has(target)) cache.set(target, wrap(target));
    return cache.get(target) as T;
  };
  for (const key of ['postgres', 'warehouse'] as const) {
    const get = base[key] as (() => PgPool) | undefined;
    if (typeof get === 'function') hooks[key] = () => once(get(), (p) => gatePg(p, () => lockstep.before(run)));
  }
  const my = base.mysql as (() => MysqlPool) | undefined;
  if (typeof my === 'function') hooks.mysql = () => once(my(), (p) => gateMysql(p, () => lockstep.before(run)));
  return hooks;
}

type Gate = () => Promise<void>;

/** `query(...)` in promise form waits for the gate; callbacks and submittables (COPY streams, cursors) go as they are. */
function gated<T extends object>(target: T, gate: Gate, methods: readonly string[], wrapResult: (prop: string, value: unknown) => unknown = (_p, v) => v): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof prop === 'string' && methods.includes(prop) && typeof value === 'function') {
        return (...args: unknown[]) => {
          const first = args[0] as { submit?: unknown } | null;
          if (typeof args.at(-1) === 'function' || (typeof first === 'object' && first !== null && typeof first.submit === 'function')) {
            return (value as (...a: unknown[]) => unknown).apply(t, args);
          }
          return gate().then(() => wrapResult(prop, (value as (...a: unknown[]) => unknown).apply(t, args)));
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

function gatePg(pool: PgPool, gate: Gate): PgPool {
  return new Proxy(pool, {
    get(t, prop) {
      if (prop === 'query') return gated(t, gate, ['query']).query;
      if (prop === 'connect') {
        return (...args: unknown[]) => {
          if (typeof args.at(-1) === 'function') return (t.connect as (...a: unknown[]) => unknown).apply(t, args);
          return t.connect().then((client: PoolClient) => gated(client, gate, ['query']));
        };
      }
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

function gateMysql(pool: MysqlPool, gate: Gate): MysqlPool {
  return new Proxy(pool, {
    get(t, prop) {
      if (prop === 'query' || prop === 'execute') return gated(t, gate, ['query', 'execute'])[prop];
      if (prop === 'getConnection') return () => t.getConnection().then((c: PoolConnection) => gated(c, gate, ['query', 'execute']));
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}
