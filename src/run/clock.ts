import { setTimeout as delay } from 'node:timers/promises';

/**
 * The time source of a DAG run: task timestamps and retry waits go through it, so a
 * simulated backfill can use a {@link VirtualClock} and never wait for real.
 * (Task timeouts stay on real time: they guard against code that hangs for real.)
 */
export interface Clock {
  now(): Date;
  /** Wait `ms` milliseconds; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A clock that stands still while code runs and jumps forward when slept on: a retry
 * delay of one hour passes at once and moves the clock by one hour.
 *
 * ```ts
 * const clock = new VirtualClock(new Date('2021-02-06T00:00:00Z'));
 * await clock.sleep(3_600_000);
 * clock.now(); // 2021-02-06T01:00:00Z, at once
 * ```
 */
export class VirtualClock implements Clock {
  private ms: number;

  constructor(start: Date) {
    this.ms = start.getTime();
    if (Number.isNaN(this.ms)) throw new Error('VirtualClock needs a valid start date, got an invalid Date');
  }

  now(): Date {
    return new Date(this.ms);
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.advance(ms);
  }

  /** Move the clock forward by `ms` (negative values are ignored: time never runs backwards). */
  advance(ms: number): void {
    if (ms > 0) this.ms += ms;
  }

  /** Set the clock to `date`, e.g. to simulate "now" in a test. */
  set(date: Date): void {
    this.ms = date.getTime();
  }
}

/** The machine's clock; `sleep` really waits. */
export const realClock: Clock = Object.freeze({
  now: () => new Date(),
  sleep: async (ms: number, signal?: AbortSignal): Promise<void> => {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
});
