/** Airflow's default pool and its size. */
export const DEFAULT_POOL = 'default_pool';
export const DEFAULT_POOL_SLOTS = 128;

/**
 * Slots shared by every run of one environment: pools (Airflow's pools, `default_pool` with 128
 * slots unless configured) and per-task limits (`maxActiveTisPerDag`). A scheduler takes slots
 * before it starts a task instance and gives them back when it ends; schedulers waiting for a
 * slot are woken when one is given back.
 */
export class Slots {
  private readonly size: Map<string, number>;
  private readonly used = new Map<string, number>();
  private readonly perTask = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(pools: Record<string, number> = {}) {
    this.size = new Map(Object.entries({ [DEFAULT_POOL]: DEFAULT_POOL_SLOTS, ...pools }));
  }

  /** Why a task can never get its slots (an unknown pool, more slots than the pool has), or null. */
  problem(pool: string, slots: number): string | null {
    const size = this.size.get(pool);
    if (size === undefined) {
      return `pool "${pool}" does not exist (pools: ${[...this.size.keys()].join(', ')}); define it in dagbox.config.ts: pools: { ${pool}: 4 }`;
    }
    if (slots > size) return `it needs ${slots} slots of pool "${pool}", which has ${size}`;
    return null;
  }

  /** Take the slots if they are free now; false when the task must wait. */
  tryTake(pool: string, slots: number, taskKey: string, taskLimit: number | undefined): boolean {
    const used = this.used.get(pool) ?? 0;
    if (used + slots > (this.size.get(pool) ?? 0)) return false;
    const running = this.perTask.get(taskKey) ?? 0;
    if (taskLimit !== undefined && running >= taskLimit) return false;
    this.used.set(pool, used + slots);
    this.perTask.set(taskKey, running + 1);
    return true;
  }

  /** Give back what `tryTake` took, and wake the waiting schedulers. */
  give(pool: string, slots: number, taskKey: string): void {
    this.used.set(pool, (this.used.get(pool) ?? slots) - slots);
    this.perTask.set(taskKey, (this.perTask.get(taskKey) ?? 1) - 1);
    for (const listener of [...this.listeners]) listener();
  }

  /** Be called whenever slots are given back; returns the unsubscribe function. */
  onGive(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const byEnvironment = new WeakMap<object, Slots>();

/** The slots of an environment, made on first use from its pools. */
export function slotsOf(env: { pools?: Record<string, number> }): Slots {
  let slots = byEnvironment.get(env);
  if (!slots) byEnvironment.set(env, (slots = new Slots(env.pools)));
  return slots;
}
